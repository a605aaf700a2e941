/**
 * The little Markdown that hints and grader feedback use — `code`, **bold**, *emphasis* —
 * as DOM nodes. Text from the server is never parsed as HTML.
 */
const token = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([^*]+)\*\*|(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])/g;

export function inlineMarkdown(text: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const m of text.matchAll(token)) {
    if (m.index > last) nodes.push(document.createTextNode(text.slice(last, m.index)));
    const [, , code, bold, em] = m;
    const element = document.createElement(code !== undefined ? 'code' : bold !== undefined ? 'strong' : 'em');
    element.textContent = (code ?? bold ?? em ?? '').trim() || (code ?? '');
    nodes.push(element);
    last = m.index + m[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** An element of `tag` holding `text` rendered as inline Markdown. */
export function markdownElement<K extends keyof HTMLElementTagNameMap>(tag: K, text: string, className = '') {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.append(...inlineMarkdown(text));
  return element;
}
