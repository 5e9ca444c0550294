import Analysis
import ArgumentParser
import Formats
import KubeModel

/// `kubereach diff`: what changes in allowed connectivity between two versions.
struct DiffCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff", abstract: "Show connections added, removed or changed between two versions of a cluster.")

  @Argument(help: "The old version: a path, or comma-separated paths.")
  var before: String

  @Argument(help: "The new version: a path, or comma-separated paths.")
  var after: String

  @Option(name: .shortAndLong, help: "Output format: txt, json, csv, md, dot, svg, png.")
  var output: OutputFormat = .txt

  @Option(name: .customLong("output-file"), help: "Write to this file instead of standard output.")
  var outputFile: String?

  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let stats = RunStatistics()
    var options = ConnectivityOptions()
    options.engine = input.engineOptions
    // One version at a time: the old cluster and its engine are gone before the new one loads;
    // only the two compact row tables meet.
    func report(_ paths: String) throws(CommandFailure) -> ConnectivityReport {
      let cluster = try loadCluster(paths: Self.split(paths), options: input, io: io)
      do {
        return try ConnectivityAnalyzer(cluster: cluster, options: options).report()
      } catch {
        throw CommandFailure([error])
      }
    }
    let oldReport = try report(before)
    let newReport = try report(after)
    stats.lap("load and evaluate")
    let diff = DiffReport(before: oldReport, after: newReport)
    stats.lap("diff")
    if diff.rows.isEmpty { io.log("diff: no difference in allowed connectivity\n") }
    let renderer = output.renderer
    try emit(to: outputFile, io: io) { sink throws(CommandFailure) in
      do throws(RenderError) { try renderer.render(diff, into: sink) } catch { throw .render(error) }
    }
    stats.lap("output")
    if input.stats { io.log(stats.report()) }
    return .success
  }

  static func split(_ list: String) -> [String] {
    list.split(separator: ",").map(String.init)
  }
}
