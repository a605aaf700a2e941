/** Copy buttons of <Command> blocks, on every page (one delegated listener, no framework). */
document.addEventListener('click', (event) => {
  const button = (event.target as Element | null)?.closest<HTMLButtonElement>('.command-copy');
  const command = button?.closest<HTMLElement>('.command')?.dataset.command;
  if (!button || command === undefined) return;
  void navigator.clipboard?.writeText(command).catch(() => undefined);
  const label = button.dataset.label ?? button.textContent ?? '';
  button.dataset.label = label;
  button.textContent = button.dataset.copied ?? label;
  setTimeout(() => (button.textContent = label), 1500);
});
