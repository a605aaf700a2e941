import { describe, expect, it } from 'vitest';
import { useLabServerAndChromium } from '../helpers/lab-browser.ts';
import { typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

const env = useLabServerAndChromium('browser-module1-');

const policy = `cat > require-trusted-registry.yaml <<'EOF'
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-trusted-registry
spec:
  rules:
  - name: trusted-registry
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      failureAction: Enforce
      message: "Solo imágenes de registry.example.com/."
      pattern:
        spec:
          =(ephemeralContainers):
          - image: "registry.example.com/*"
          =(initContainers):
          - image: "registry.example.com/*"
          containers:
          - image: "registry.example.com/*"
EOF`;

describe('module 2, lab "Solo registros de confianza" in Spanish, through the terminal', () => {
  it('fails the check, then passes after writing and applying the policy in the terminal', async () => {
    const page = await env.browser.newPage();
    await page.goto(`${env.server.url}es/labs/trusted-registries/`);
    await page.locator('.lab-status-text', { hasText: 'Tu laboratorio está listo.' }).waitFor({ timeout: 20_000 });
    await waitForTerminal(page, /\$[\s\u00a0]*$/m);
    const exercise = page.locator('.exercise[data-exercise="legacy-clusterpolicy"]');
    await exercise.getByRole('button', { name: 'Comprobar' }).click();
    await exercise
      .locator('.check-result.ko', { hasText: 'No existe ClusterPolicy require-trusted-registry.' })
      .waitFor();

    for (const line of policy.split('\n')) await typeInTerminal(page, line);
    await typeInTerminal(page, 'kubectl apply -f require-trusted-registry.yaml');
    await waitForTerminal(page, 'clusterpolicy.kyverno.io/require-trusted-registry created');
    // The first probe command in the instructions now fails with Kyverno's message.
    await exercise.locator('.command-run').nth(1).click();
    // xterm wraps long lines into separate rows, so match on a short piece.
    await waitForTerminal(page, 'validate.kyverno.svc-fail');

    await exercise.getByRole('button', { name: 'Comprobar' }).click();
    await exercise.locator('.check-summary', { hasText: '¡Ejercicio superado!' }).waitFor({ timeout: 20_000 });
    const lines = await exercise.locator('.check-result').allInnerTexts();
    expect(lines).toEqual([
      'ClusterPolicy require-trusted-registry está como se espera.',
      'El clúster rechaza Pod probe-docker-hub, como se espera.',
      'El clúster rechaza Pod probe-short, como se espera.',
      'El clúster rechaza Pod probe-lookalike, como se espera.',
      'El clúster rechaza Pod probe-init, como se espera.',
      'El clúster rechaza Pod api/ephemeralcontainers, como se espera.',
      'El clúster rechaza Deployment probe-docker-hub, como se espera.',
      'El clúster admite Pod probe-trusted, como se espera.',
    ]);
    await page.close();
  }, 120_000);

  it('shows instructions or the terminal on a phone, with commands readable and no stray banner', async () => {
    const context = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${env.server.url}es/labs/trusted-registries/`);
    await page.locator('.lab-status-text', { hasText: 'Tu laboratorio está listo.' }).waitFor({ timeout: 20_000 });
    const widths = await page
      .locator('.command pre')
      .evaluateAll((pres) => pres.map((p) => p.getBoundingClientRect().width));
    expect(Math.min(...widths)).toBeGreaterThan(250);
    expect(await page.locator('.terminal-banner').isVisible()).toBe(false);
    // Phones get Instructions / Terminal tabs rather than one long stacked page.
    expect(await page.locator('.lab-instructions').isVisible()).toBe(true);
    expect(await page.locator('.terminal-panel').isVisible()).toBe(false);
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await page.locator('.terminal-panel').waitFor({ state: 'visible' });
    expect(await page.locator('.lab-instructions').isVisible()).toBe(false);
    const terminal = await page.locator('.terminal-panel').boundingBox();
    expect(terminal!.y).toBeLessThan(844);
    await context.close();
  }, 60_000);
});
