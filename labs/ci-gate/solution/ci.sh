#!/usr/bin/env bash
# CI gate: fails (exit 2) when the Trivy JSON report has a fixable CRITICAL or HIGH finding.
# Any other problem (no report, not JSON) fails too, with exit 1: a gate must fail closed.
set -euo pipefail
report="${1:?usage: ci.sh REPORT.json}"
fixable=$(jq '[.Results[]?.Vulnerabilities[]?
  | select((.Severity == "CRITICAL" or .Severity == "HIGH") and .Status == "fixed")] | length' "$report")
if [ "$fixable" -gt 0 ]; then
  echo "$fixable fixable CRITICAL/HIGH finding(s):"
  jq -r '.Results[]?.Vulnerabilities[]?
    | select((.Severity == "CRITICAL" or .Severity == "HIGH") and .Status == "fixed")
    | "  \(.VulnerabilityID) \(.PkgName) \(.InstalledVersion) -> \(.FixedVersion)"' "$report"
  exit 2
fi
echo "no fixable CRITICAL or HIGH findings"
