import Analysis
import ArgumentParser
import Formats
import KubeModel
import Reachability

extension Granularity: ExpressibleByArgument {}
extension Direction: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
  public static var allValueStrings: [String] { ["ingress", "egress"] }
  public var defaultValueDescription: String { rawValue.lowercased() }
  public static var allValueDescriptions: [String: String] { [:] }
}
extension ExplainOnly: ExpressibleByArgument {}

/// `kubereach analyze`: every allowed connection.
struct AnalyzeCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze", abstract: "List every connection the cluster's policies allow.")

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @Option(name: .shortAndLong, help: "Output format: txt, json, csv, md, dot, svg, png.")
  var output: OutputFormat = .txt

  @Option(name: .customLong("output-file"), help: "Write to this file instead of standard output.")
  var outputFile: String?

  @Option(
    help:
      "workload (pods grouped by owner), pod, or auto (grouped where a workload's pods agree, pod by pod where they differ)."
  )
  var granularity: Granularity = .workload

  @Option(name: .customLong("focus-workload"), help: "Only connections of this workload (name or ns/name); repeatable.")
  var focusWorkloads: [String] = []

  @Option(
    name: .customLong("focus-workload-peer"),
    help: "With --focus-workload: only connections with this peer; repeatable.")
  var focusWorkloadPeers: [String] = []

  @Option(name: .customLong("focus-direction"), help: "With --focus-workload: ingress or egress.")
  var focusDirection: Direction?

  @Option(name: .customLong("focus-conn"), help: "Only connections allowing this protocol and port, e.g. tcp-8080.")
  var focusConnection: String?

  @Flag(help: "Also list IPv6 external ranges (netpol-analyzer lists IPv4 only).")
  var ipv6 = false

  @Flag(
    help:
      "Add exposure analysis: what policies open to the entire cluster or to pods their rules describe, and unprotected workloads."
  )
  var exposure = false

  @Flag(help: "Explain why each pair's connections are allowed or denied (txt only).")
  var explain = false

  @Option(name: .customLong("explain-only"), help: "With --explain: only allow or only deny explanations.")
  var explainOnly: ExplainOnly?

  @OptionGroup var input: InputOptions

  func validate() throws {
    if explainOnly != nil && !explain {
      throw ValidationError("--explain-only needs --explain")
    }
    if explain && output != .txt {
      throw ValidationError("--explain supports -o txt only")
    }
    if !focusWorkloadPeers.isEmpty && focusWorkloads.isEmpty {
      throw ValidationError("--focus-workload-peer needs --focus-workload")
    }
    if focusDirection != nil && focusWorkloads.isEmpty {
      throw ValidationError("--focus-direction needs --focus-workload")
    }
    if let focusConnection, FocusConnection(parsing: focusConnection) == nil {
      throw ValidationError("--focus-conn takes PROTOCOL-PORT, e.g. tcp-8080 (protocol tcp, udp or sctp)")
    }
  }

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let stats = RunStatistics()
    let cluster = try loadCluster(paths: paths, options: input, io: io)
    stats.lap("load")
    var options = ConnectivityOptions()
    options.granularity = granularity
    options.focusWorkloads = focusWorkloads
    options.focusWorkloadPeers = focusWorkloadPeers
    options.focusDirection = focusDirection
    options.focusConnection = focusConnection.flatMap(FocusConnection.init(parsing:))
    options.includeIPv6 = ipv6
    options.exposure = exposure
    options.engine = input.engineOptions
    let analyzer: ConnectivityAnalyzer
    do {
      analyzer = try ConnectivityAnalyzer(cluster: cluster, options: options)
    } catch {
      throw CommandFailure([error])
    }
    DiagnosticPrinter.print(analyzer.granularityNotes, to: io)
    try checkFocus(analyzer)
    stats.lap("compile")
    if explain {
      let explanation = analyzer.explainReport(only: explainOnly)
      let connectivity = exposure ? analyzer.report() : nil
      try emit(to: outputFile, io: io) { sink in
        ExplainTextRenderer().render(explanation, connectivity: connectivity, into: sink)
      }
      stats.lap("explain")
      if input.stats { io.log(stats.report()) }
      return .success
    }
    let report = analyzer.report()
    stats.lap("evaluate")
    DiagnosticPrinter.print(report.warnings, to: io)
    let renderer = output.renderer
    try emit(to: outputFile, io: io) { sink throws(CommandFailure) in
      do throws(RenderError) { try renderer.render(report, into: sink) } catch { throw .render(error) }
    }
    stats.lap("output")
    if input.stats {
      let engineStats = analyzer.engine.stats
      stats.record("engine-compile", seconds: engineStats.compileSeconds)
      if let mesh = analyzer.engine.mesh {
        // Part of engine-compile: mesh membership, per-class facts and profiles.
        stats.record("mesh-compile", seconds: analyzer.engine.meshCompileSeconds)
        stats.count("mesh-client-profiles", mesh.profileCounts.clients)
        stats.count("mesh-server-profiles", mesh.profileCounts.servers)
      }
      stats.record("engine-evaluate", seconds: engineStats.evaluateSeconds)
      stats.count("pods", engineStats.pods)
      stats.count("classes", engineStats.classes)
      stats.count("policies", engineStats.policies)
      stats.count("port-atoms", engineStats.portAtoms)
      stats.count("connections", report.rows.count)
      io.log(stats.report())
    }
    return .success
  }

  func checkFocus(_ analyzer: ConnectivityAnalyzer) throws(CommandFailure) {
    let cluster = analyzer.cluster
    let missing = analyzer.resolve(names: focusWorkloads + focusWorkloadPeers).unknown
    if !missing.isEmpty {
      throw CommandFailure(
        missing.map { name in
          let split = analyzer.splitWorkloads.sorted().map { cluster.workloads[$0] }.first(where: PeerName(name).names)
          if let split {
            let pods = cluster.pods.filter { cluster.workloads[$0.workload] == split }
              .map { "\($0.namespace)/\($0.name)" }.sorted()
            return .error(
              .unknownPeer,
              "workload \(split.namespace)/\(split.name) is listed pod by pod (its pods differ); focus on one of its pods: \(pods.joined(separator: ", "))",
              at: nil)
          }
          return .error(.unknownPeer, "\(granularity.rawValue) \(name) does not exist in the input", at: nil)
        })
    }
  }
}
