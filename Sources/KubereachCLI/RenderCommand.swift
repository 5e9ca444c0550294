import Analysis
import ArgumentParser
import Formats
import KubeModel

extension ClusterGraphRenderer.Format: ExpressibleByArgument {}

/// Options `render` and `report` share: the before version, size limits, focus and grouping.
struct GraphOptions: ParsableArguments {
  @Option(
    name: .customLong("before"),
    help: "The old version to compare with (a file or folder; repeat for several): draws the diff.")
  var before: [String] = []

  @Option(
    name: .customLong("max-nodes"),
    help: "Above this many nodes, draw namespaces as nodes; keep the most connected ones if still too many.")
  var maxNodes = 150

  @Option(name: .customLong("max-edges"), help: "Above this many edges, draw namespaces as nodes.")
  var maxEdges = 200

  @Option(name: .customLong("focus-namespace"), help: "Only flows to or from this namespace; repeatable.")
  var focusNamespaces: [String] = []

  @Option(
    name: .customLong("focus-workload"), help: "Only flows to or from this workload (name or ns/name); repeatable.")
  var focusWorkloads: [String] = []

  @Flag(
    name: .customLong("group"), inversion: .prefixedNo,
    help: "Draw workloads of a namespace with identical connections as one node.")
  var group = true

  var graphOptions: ClusterGraphOptions {
    var options = ClusterGraphOptions()
    options.maxNodes = maxNodes
    options.maxEdges = maxEdges
    options.focusNamespaces = focusNamespaces
    options.focusWorkloads = focusWorkloads
    options.groupIdentical = group
    return options
  }

  func validate() throws {
    if maxNodes < 2 { throw ValidationError("--max-nodes must be at least 2") }
    if maxEdges < 1 { throw ValidationError("--max-edges must be at least 1") }
  }
}

/// The analyses `render` and `report` draw: the connectivity (with exposure) of the input, and
/// with `--before` that of the old version and the diff.
struct GraphInputs {
  var cluster: Cluster
  var analyzer: ConnectivityAnalyzer
  var report: ConnectivityReport
  var diff: DiffReport?

  init(paths: [String], graph: GraphOptions, input: InputOptions, io: CommandIO) throws(CommandFailure) {
    cluster = try loadCluster(paths: paths, options: input, io: io)
    var options = ConnectivityOptions()
    options.engine = input.engineOptions
    options.exposure = true
    do {
      analyzer = try ConnectivityAnalyzer(cluster: cluster, options: options)
      report = analyzer.report()
      if !graph.before.isEmpty {
        let old = try loadCluster(paths: graph.before, options: input, io: io)
        var plain = ConnectivityOptions()
        plain.engine = input.engineOptions
        let oldReport = try ConnectivityAnalyzer(cluster: old, options: plain).report()
        let newReport = try ConnectivityAnalyzer(cluster: cluster, options: plain).report()
        diff = DiffReport(before: oldReport, after: newReport)
      }
    } catch let failure as CommandFailure {
      throw failure
    } catch let diagnostic as Diagnostic {
      throw CommandFailure([diagnostic])
    } catch {
      throw CommandFailure([.error(.analysis, "\(error)", at: nil)])
    }
    DiagnosticPrinter.print(report.warnings, to: io)
    let missing = graph.focusWorkloads.filter { name in !cluster.workloads.contains(where: PeerName(name).names) }
    let unknownNamespaces = graph.focusNamespaces.filter { ns in !cluster.workloads.contains { $0.namespace == ns } }
    if !missing.isEmpty || !unknownNamespaces.isEmpty {
      throw CommandFailure(
        missing.map { .error(.unknownPeer, "workload \($0) does not exist in the input", at: nil) }
          + unknownNamespaces.map {
            .error(.unknownNamespace, "namespace \($0) has no workload in the input", at: nil)
          })
    }
  }
}

/// `kubereach render`: the cluster's allowed connections (or, with --before, what changed) as a graph.
struct RenderCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract: "Draw allowed connections (or with --before, the changes) as a graph: svg, png or dot.")

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @Option(name: .shortAndLong, help: "Output format: svg, png, dot.")
  var output: ClusterGraphRenderer.Format = .svg

  @Option(name: .customLong("output-file"), help: "Write to this file instead of standard output.")
  var outputFile: String?

  @OptionGroup var graph: GraphOptions
  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let stats = RunStatistics()
    let inputs = try GraphInputs(paths: paths, graph: graph, input: input, io: io)
    stats.lap("analyze")
    let drawn =
      inputs.diff.map { ClusterGraph($0, options: graph.graphOptions) }
      ?? ClusterGraph(inputs.report, options: graph.graphOptions)
    stats.lap("graph")
    let bytes: [UInt8]
    do {
      bytes = try ClusterGraphRenderer().render(drawn, format: output)
    } catch {
      throw .render(error)
    }
    stats.lap("layout")
    try emit(bytes, to: outputFile, io: io)
    if input.stats {
      stats.count("nodes", drawn.nodes.count)
      stats.count("edges", drawn.edges.count)
      io.log(stats.report())
    }
    return .success
  }
}
