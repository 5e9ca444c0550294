import ArgumentParser
import Checks
import Formats
import Foundation
import KubeModel

extension FailLevel: ExpressibleByArgument {}
extension CheckOutputFormat: ExpressibleByArgument {}

/// `kubereach check`: a CI gate for unexpected exposure and broken intent.
struct CheckCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check the manifests for exposure, missing isolation and broken rules; exit 1 on findings.",
    discussion: """
      Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 on bad input.
      With --baseline, only findings that the baseline manifests do not have are reported.
      """)

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @Option(help: "A rules file (YAML): deny/allow/isolated/mtls assertions, accepted findings, severities.")
  var rules: String?

  @Option(help: "Manifests of the target branch (repeatable); only findings new relative to them are reported.")
  var baseline: [String] = []

  @Option(name: .customLong("fail-on"), help: "Lowest severity that fails the run: error, warning or never.")
  var failOn: FailLevel = .error

  @Option(name: .shortAndLong, help: "Output format: txt, json, junit, sarif.")
  var output: CheckOutputFormat = .txt

  @Option(name: .customLong("output-file"), help: "Write to this file instead of standard output.")
  var outputFile: String?

  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let stats = RunStatistics()
    var rulesFile = RulesFile()
    if let rules {
      switch RulesFile.load(path: rules, knownChecks: CheckRunner.knownCheckIDs) {
      case .success(let file): rulesFile = file
      case .failure(let error): throw CommandFailure(error.diagnostics)
      }
    }
    let cluster = try loadCluster(paths: paths, options: input, io: io)
    let baselineCluster = baseline.isEmpty ? nil : try loadCluster(paths: baseline, options: input, io: io)
    stats.lap("load")
    let runner = CheckRunner(rules: rulesFile, failOn: failOn, engineOptions: input.engineOptions)
    let report = runner.report(cluster: cluster, baselines: baselineCluster.map { [$0] } ?? [])
    stats.lap("check")
    DiagnosticPrinter.print(report.warnings, to: io)
    let bytes = output.renderer(baseDirectory: FileManager.default.currentDirectoryPath).render(report)
    try emit(bytes, to: outputFile, io: io)
    stats.lap("output")
    if input.stats {
      for (name, seconds) in report.timings { stats.record("check/\(name)", seconds: seconds) }
      stats.count("findings", report.findings.count)
      io.log(stats.report())
    }
    return ExitStatus(report)
  }
}
