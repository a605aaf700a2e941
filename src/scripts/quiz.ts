/** Grades a quiz answer against the answer key the page carries (client-side, no server). */
export function gradeQuiz(expected: { answer?: number[]; accept?: string[] }, chosen: number[], text: string): boolean {
  if (expected.accept) {
    const normalized = text.trim().toLowerCase();
    return expected.accept.some((a) => a.trim().toLowerCase() === normalized);
  }
  const want = [...(expected.answer ?? [])].sort();
  const got = [...chosen].sort();
  return want.length === got.length && want.every((v, i) => v === got[i]);
}
