import ArgumentParser
import Formats
import KubeModel
import Manifests
import PolicyGen

/// `kubereach simulate`: replays flows against the cluster's policies plus proposed ones.
struct SimulateCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract:
      "Replay flows against the policies (plus proposed ones): which would be allowed, which would break, and why.")

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @OptionGroup var flowFile: FlowFileOptions

  @Option(
    name: .customLong("with"),
    help: "Proposed policies to add (repeatable); a policy of the same namespace and name replaces the existing one.")
  var with: [String] = []

  @Option(name: .shortAndLong, help: "Output format: txt or json.")
  var output: String = "txt"

  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    guard output == "txt" || output == "json" else {
      throw .usage("simulate supports -o txt or -o json, not \(output)")
    }
    var cluster = try loadCluster(paths: paths, options: input, io: io)
    if !with.isEmpty {
      let loaded = ManifestLoader.load(paths: with, options: input.loadOptions)
      // Proposed policies come without their namespaces: those are in the manifests.
      let diagnostics = loaded.diagnostics.filter { $0.code != .implicitNamespace }
      if loaded.hasErrors { throw CommandFailure(diagnostics) }
      DiagnosticPrinter.print(diagnostics, to: io)
      let proposed = loaded.cluster
      cluster = PolicyVerifier.merge(cluster, proposed.networkPolicies, mesh: proposed)
      let anps = Set(proposed.adminNetworkPolicies.map(\.name))
      cluster.adminNetworkPolicies =
        cluster.adminNetworkPolicies.filter { !anps.contains($0.name) } + proposed.adminNetworkPolicies
      if !proposed.baselineAdminNetworkPolicies.isEmpty {
        cluster.baselineAdminNetworkPolicies = proposed.baselineAdminNetworkPolicies
      }
    }
    let (resolved, read, unresolved) = try flowFile.read(cluster: cluster, io: io)
    let report = Simulator.run(
      cluster: cluster, flows: resolved, unresolved: unresolved, skipped: read.skipped, options: input.engineOptions)
    let renderer = SimulationRenderer()
    io.write(output == "json" ? renderer.json(report, cluster: cluster) : renderer.text(report, cluster: cluster))
    return report.broken.isEmpty ? .success : .findings
  }
}
