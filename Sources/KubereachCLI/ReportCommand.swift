import Analysis
import ArgumentParser
import Formats
import KubeModel

/// The formats `report` writes (one).
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
  case html
}

/// `kubereach report`: one self-contained HTML page with the summary, graph, connection table,
/// exposure findings and, with --before, the diff.
struct ReportCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write one self-contained HTML report: summary, graph, connection table, exposure, diff with --before.")

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @Option(name: .shortAndLong, help: "Output format: html.")
  var output: ReportFormat = .html

  @Option(name: .customLong("output-file"), help: "Write to this file instead of standard output.")
  var outputFile: String?

  @OptionGroup var graph: GraphOptions
  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let stats = RunStatistics()
    let captured = CommandIO()
    let inputs = try GraphInputs(paths: paths, graph: graph, input: input, io: captured)
    io.standardError += captured.standardError
    stats.lap("analyze")
    let renderer = ClusterGraphRenderer()
    let graphSVG: [UInt8]
    var diffSVG: [UInt8]? = nil
    do {
      graphSVG = try renderer.render(ClusterGraph(inputs.report, options: graph.graphOptions), format: .svg)
      if let diff = inputs.diff {
        diffSVG = try renderer.render(ClusterGraph(diff, options: graph.graphOptions), format: .svg)
      }
    } catch {
      throw .render(error)
    }
    stats.lap("layout")
    let cluster = inputs.cluster
    let page = HTMLReportRenderer().render(
      HTMLReportInput(
        paths: paths, beforePaths: graph.before, workloads: cluster.workloads.count,
        policies: cluster.networkPolicies.count + cluster.adminNetworkPolicies.count
          + cluster.baselineAdminNetworkPolicies.count,
        report: inputs.report, graphSVG: graphSVG, diff: inputs.diff, diffSVG: diffSVG,
        warnings: String(decoding: captured.standardError, as: UTF8.self).split(separator: "\n").map(String.init)))
    try emit(page, to: outputFile, io: io)
    stats.lap("output")
    if input.stats { io.log(stats.report()) }
    return .success
  }
}
