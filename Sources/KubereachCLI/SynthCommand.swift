import ArgumentParser
import Foundation
import KubeModel
import Manifests
import Synthesis

/// `kubereach synth`: writes a seeded synthetic cluster as manifests, to reproduce benchmarks.
struct SynthCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "synth",
    abstract: "Write a seeded synthetic cluster (namespaces, workloads, services, policies) as manifests.")

  @Option(help: "About how many pods.")
  var pods = 1000

  @Option(help: "How many namespaces (default: one per 30 pods).")
  var namespaces: Int?

  @Option(help: "About how many NetworkPolicies (default: a tenth of the pods).")
  var policies: Int?

  @Option(help: "The seed: the same seed gives the same cluster.")
  var seed: UInt64 = 1

  @Flag(help: "Give every workload one replica (to compare with tools that report pods).")
  var onePodPerWorkload = false

  @Flag(
    help:
      "Add an Istio mesh: injection and ambient namespace labels, a service account per workload, and PeerAuthentications, DestinationRules and AuthorizationPolicies (written to mesh.yaml)."
  )
  var mesh = false

  @Option(
    help: "Also write this many Hubble flow lines (hubble observe -o json) for the cluster to flows-hubble.jsonl.")
  var flows: Int = 0

  @Flag(help: "Print timings and peak memory to standard error.")
  var stats = false

  @Argument(
    help: "The folder to write namespaces.yaml, workloads.yaml, services.yaml and policies.yaml (and mesh.yaml) into.")
  var outputDirectory: String

  func validate() throws {
    guard pods > 0 else { throw ValidationError("--pods must be positive") }
    if let namespaces, namespaces <= 0 { throw ValidationError("--namespaces must be positive") }
    if let policies, policies < 0 { throw ValidationError("--policies must not be negative") }
    if flows < 0 { throw ValidationError("--flows must not be negative") }
  }

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let statistics = RunStatistics()
    var cluster = SyntheticCluster.generate(
      pods: pods, namespaces: namespaces ?? max(1, pods / 30), policies: policies ?? max(1, pods / 10),
      seed: seed, onePodPerWorkload: onePodPerWorkload)
    if mesh { SyntheticMesh.add(to: &cluster, seed: seed) }
    statistics.lap("generate")
    var namespacesOnly = Cluster()
    namespacesOnly.namespaces = cluster.namespaces
    var workloadsOnly = Cluster()
    workloadsOnly.workloads = cluster.workloads
    workloadsOnly.pods = cluster.pods
    var servicesOnly = Cluster()
    servicesOnly.services = cluster.services
    servicesOnly.ingresses = cluster.ingresses
    var policiesOnly = Cluster()
    policiesOnly.networkPolicies = cluster.networkPolicies
    policiesOnly.adminNetworkPolicies = cluster.adminNetworkPolicies
    policiesOnly.baselineAdminNetworkPolicies = cluster.baselineAdminNetworkPolicies
    try OutputWriter.createDirectory(outputDirectory)
    var files: [(String, Cluster)] = [
      ("namespaces.yaml", namespacesOnly), ("workloads.yaml", workloadsOnly), ("services.yaml", servicesOnly),
      ("policies.yaml", policiesOnly),
    ]
    if mesh {
      var meshOnly = Cluster()
      meshOnly.peerAuthentications = cluster.peerAuthentications
      meshOnly.destinationRules = cluster.destinationRules
      meshOnly.authorizationPolicies = cluster.authorizationPolicies
      files.append(("mesh.yaml", meshOnly))
    }
    for (name, part) in files {
      try emit(Array(ManifestWriter.yaml(for: part).utf8), to: outputDirectory + "/" + name, io: io)
    }
    if flows > 0 { try writeFlows(cluster) }
    statistics.lap("output")
    if stats { io.log(statistics.report()) }
    io.log(
      "synth: \(flows > 0 ? "\(flows) Hubble flow lines and " : "")\(cluster.pods.count) pods in \(cluster.workloads.count) workloads, \(cluster.namespaces.count) namespaces, \(cluster.networkPolicies.count) policies\(mesh ? ", \(cluster.peerAuthentications.count + cluster.destinationRules.count + cluster.authorizationPolicies.count) mesh objects" : "") written to \(outputDirectory)\n"
    )
    return .success
  }

  /// Streams the flow lines to `flows-hubble.jsonl` in blocks.
  func writeFlows(_ cluster: Cluster) throws(CommandFailure) {
    let path = outputDirectory + "/flows-hubble.jsonl"
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path)
    else { throw CommandFailure([.error(.output, "cannot write \(path)", at: nil)]) }
    defer { try? handle.close() }
    var synthesizer = HubbleFlowSynthesizer(cluster: cluster, seed: seed)
    var block = ""
    for i in 0..<flows {
      block += synthesizer.nextLine()
      block += "\n"
      if block.utf8.count > 4 << 20 || i == flows - 1 {
        handle.write(Data(block.utf8))
        block = ""
      }
    }
  }
}
