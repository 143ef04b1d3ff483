// Prints one closing line "tests: N passed, N failed, N skipped" that CI can read regardless of the runner.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numRuntimeErrorTestSuites } = results;
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    process.stdout.write(`\ntests: ${numPassedTests} passed, ${failed} failed, ${numPendingTests} skipped\n`);
  }
}
module.exports = SummaryReporter;
