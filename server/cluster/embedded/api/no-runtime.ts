/** The banner every simulated-runtime answer carries, so learners know what they see. */
export const noRuntimeNote =
  'the embedded cluster simulates pods without a container runtime, so containers do not run; use the kind backend for real containers';
