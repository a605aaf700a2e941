/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Result {
  name: string;
  value: number;
  unit: string;
  target?: { op: '<'; value: number };
}

export function report(title: string, results: Result[]): boolean {
  console.log(`\n${title}`);
  let ok = true;
  for (const r of results) {
    const pass = r.target ? r.value < r.target.value : undefined;
    if (pass === false) ok = false;
    const target = r.target ? `  target ${r.target.op} ${r.target.value} ${r.unit}  ${pass ? 'PASS' : 'FAIL'}` : '';
    console.log(`  ${r.name.padEnd(44)} ${r.value.toFixed(2).padStart(10)} ${r.unit}${target}`);
  }
  return ok;
}
