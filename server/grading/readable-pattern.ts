/**
 * A command pattern (a regular expression) as the command a learner would type, for feedback:
 * learners never see a regular expression. Undefined when the pattern is more than a command
 * line with anchors, word boundaries and escaped punctuation.
 */
export function readablePattern(pattern: string): string | undefined {
  const text = pattern
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\\b/g, '')
    .replace(/\\s[+*]?/g, ' ')
    .replace(/\\([.\-/:=_,@])/g, '$1');
  if (/[\\^$[\](){}|+*?]/.test(text)) return undefined;
  const command = text.replace(/\s+/g, ' ').trim();
  return command || undefined;
}
