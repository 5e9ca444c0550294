import Analysis
import ArgumentParser
import Formats
import KubeModel

/// `kubereach explain`: why one flow is allowed or denied.
struct ExplainCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain why traffic from one peer to another is allowed or denied, rule by rule.")

  @Argument(help: "The source: ns/name of a workload or pod, or an IP address.")
  var source: String

  @Argument(
    help:
      "The destination: ns/name of a workload or pod, an IP address, or svc:ns/name of a Service.")
  var destination: String

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @Option(
    help: "The destination port (for svc: destinations, the Service port). Default: every port.")
  var port: Int?

  @Option(
    name: .customLong("protocol"),
    help: "TCP, UDP or SCTP (default TCP with --port, else every protocol).")
  var transport: String?

  @Option(name: .shortAndLong, help: "Output format: txt or json.")
  var output: String = "txt"

  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    if let port, !(1...65535).contains(port) {
      throw .usage("--port takes a number from 1 to 65535, not \(port)")
    }
    var proto: TransportProtocol? = nil
    if let transport {
      guard let parsed = TransportProtocol(rawValue: transport.uppercased()) else {
        throw .usage("--protocol takes TCP, UDP or SCTP, not \(transport)")
      }
      proto = parsed
    }
    guard output == "txt" || output == "json" else {
      throw .usage("explain supports -o txt or -o json, not \(output)")
    }
    let stats = RunStatistics()
    let cluster = try loadCluster(paths: paths, options: input, io: io)
    stats.lap("load")
    let flows: [FlowExplanation]
    do {
      flows = try FlowExplainer(cluster: cluster, options: input.engineOptions).explain(
        source: source, destination: destination, port: port, transport: proto)
    } catch {
      throw CommandFailure([error])
    }
    stats.lap("evaluate")
    let renderer = FlowExplanationRenderer()
    io.write(output == "json" ? renderer.json(flows) : renderer.text(flows))
    stats.lap("output")
    if input.stats {
      stats.count("pods", cluster.pods.count)
      stats.count(
        "policies",
        cluster.networkPolicies.count + cluster.adminNetworkPolicies.count + cluster.baselineAdminNetworkPolicies.count)
      io.log(stats.report())
    }
    return FlowExplanation.allAllowed(flows) ? .success : .denied
  }
}
