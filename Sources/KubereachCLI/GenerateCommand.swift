import ArgumentParser
import Foundation
import KubeModel
import PolicyGen

/// `kubereach generate`: NetworkPolicies that are verified by the engine before they are written.
struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate NetworkPolicies (default-deny, or least privilege from flows), verified before written.",
    subcommands: [DefaultDenyCommand.self, FromFlowsCommand.self])
}

extension ManifestFormat: ExpressibleByArgument {}
extension FlowFormat: ExpressibleByArgument {}

/// The flow file options of `generate from-flows` and `simulate`.
struct FlowFileOptions: ParsableArguments {
  @Option(help: "The flow file: ours (JSON Lines or CSV), Hubble JSON, or Otterize ClientIntents YAML.")
  var flows: String

  @Option(help: "ours, hubble or intents (default: detected from the content).")
  var flowFormat: FlowFormat?

  /// Reads and resolves the flow file, printing what was skipped and what did not resolve.
  func read(cluster: Cluster, io: CommandIO) throws(CommandFailure) -> (
    flows: [ResolvedFlow], read: FlowReadResult, unresolved: Int
  ) {
    try readFlows(flows, format: flowFormat, cluster: cluster, io: io)
  }
}

/// Options of both generators.
struct GenerateOutputOptions: ParsableArguments {
  @Flag(
    help:
      "Also allow every pod to query the cluster DNS (pods behind the kube-dns Service, else k8s-app=kube-dns in kube-system)."
  )
  var allowDns = false

  @Option(name: .shortAndLong, help: "Output format: yaml (one document per policy) or json (a v1 List).")
  var output: ManifestFormat = .yaml

  @Option(
    help: "Write the policies to this file instead of standard output (nothing is written when verification fails).")
  var outputFile: String?
}

/// Verifies, prints the report to standard error, and writes the bytes only when it passed.
func verifyAndWrite(
  _ result: GenerationResult, cluster: Cluster, flows: [ResolvedFlow], defaultDeny: Bool,
  options: GenerateOutputOptions,
  input: InputOptions, stats: RunStatistics, io: CommandIO
) throws(CommandFailure) -> ExitStatus {
  DiagnosticPrinter.print(result.diagnostics, to: io)
  let bytes = result.render(options.output)
  stats.lap("generate")
  let report = PolicyVerifier.verify(
    bytes: bytes, cluster: cluster, flows: flows, baseline: Set(result.policies.filter(\.role.isBaseline).map(\.key)),
    defaultDeny: defaultDeny, options: input.engineOptions)
  stats.lap("verify")
  io.log(report.lines(in: cluster).joined(separator: "\n") + "\n")
  guard report.passed else {
    io.log("verify: verification failed; nothing written\n")
    return .findings
  }
  try emit(bytes, to: options.outputFile, io: io)
  stats.lap("output")
  if input.stats {
    stats.count("pods", cluster.pods.count)
    stats.count("flows", flows.count)
    stats.count("generated-policies", result.policies.count)
    io.log(stats.report())
  }
  return .success
}

/// `kubereach generate default-deny`.
struct DefaultDenyCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "default-deny",
    abstract: "Write a deny-all ingress and egress NetworkPolicy per namespace (optionally allowing DNS).")

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @Option(help: "Only this namespace (repeatable). Default: every namespace of the manifests.")
  var targetNamespace: [String] = []

  @OptionGroup var generate: GenerateOutputOptions
  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let stats = RunStatistics()
    let cluster = try loadCluster(paths: paths, options: input, io: io)
    stats.lap("load")
    let result = PolicyGenerator.defaultDeny(cluster: cluster, namespaces: targetNamespace, allowDNS: generate.allowDns)
    let namespaces = Array(Set(result.policies.map(\.policy.namespace))).sorted()
    let flows = generate.allowDns ? PolicyGenerator.dnsFlows(cluster: cluster, namespaces: namespaces) : []
    return try verifyAndWrite(
      result, cluster: cluster, flows: flows, defaultDeny: false, options: generate, input: input, stats: stats, io: io)
  }
}

/// Reads and resolves a flow file, printing what was skipped and what did not resolve.
func readFlows(_ path: String, format: FlowFormat?, cluster: Cluster, io: CommandIO) throws(CommandFailure) -> (
  flows: [ResolvedFlow], read: FlowReadResult, unresolved: Int
) {
  let read: FlowReadResult
  do {
    read = try FlowReader.read(.path(path), format: format)
  } catch {
    throw CommandFailure([error])
  }
  let (flows, problems) = FlowResolver(cluster: cluster).resolve(read.flows)
  DiagnosticPrinter.print(read.diagnostics + problems, to: io)
  var line =
    "flows: \(read.records) records read (\(read.format.rawValue)), \(read.flows.count) distinct flows, \(flows.count) resolved"
  if !read.skipped.isEmpty {
    line +=
      "; skipped " + read.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
  }
  io.log(line + "\n")
  let unresolved = problems.filter { $0.code == .unresolvedFlow && $0.location != nil }.count
  return (flows, read, unresolved)
}

/// `kubereach generate from-flows`.
struct FromFlowsCommand: IOCommand {
  static let configuration = CommandConfiguration(
    commandName: "from-flows",
    abstract: "Write least-privilege NetworkPolicies that allow exactly the given flows, verified by the engine.")

  @Argument(help: "Manifest files or folders (recursive), or - for standard input.")
  var paths: [String] = []

  @OptionGroup var flowFile: FlowFileOptions

  @Flag(help: "Also deny everything else: a deny-all policy per namespace; reports the least-privilege gap.")
  var defaultDeny = false

  @Flag(
    help:
      "Also write Istio AuthorizationPolicies by service-account principal and STRICT PeerAuthentications where every client is in the mesh (verified by the mesh stage)."
  )
  var emitIstio = false

  @OptionGroup var generate: GenerateOutputOptions
  @OptionGroup var input: InputOptions

  func execute(_ io: CommandIO) throws(CommandFailure) -> ExitStatus {
    let stats = RunStatistics()
    let cluster = try loadCluster(paths: paths, options: input, io: io)
    stats.lap("load")
    let (resolved, _, _) = try flowFile.read(cluster: cluster, io: io)
    stats.lap("read-flows")
    let result = PolicyGenerator.fromFlows(
      cluster: cluster, flows: resolved, defaultDeny: defaultDeny, allowDNS: generate.allowDns, emitIstio: emitIstio,
      options: input.engineOptions)
    var check = resolved
    if generate.allowDns {
      let namespaces = Array(
        Set(result.policies.filter { $0.role == .dnsEgress }.map(\.policy.namespace))
      ).sorted()
      check += PolicyGenerator.dnsFlows(cluster: cluster, namespaces: namespaces)
    }
    return try verifyAndWrite(
      result, cluster: cluster, flows: check, defaultDeny: defaultDeny, options: generate, input: input, stats: stats,
      io: io)
  }
}
