/// Every diagnostic code kubereach prints, in one place. The raw value is the stable,
/// machine-readable code printed as `[code]` after a diagnostic's message (and carried by JSON
/// and SARIF outputs); `summary` says in one line what it means and what to do. The README's
/// table of codes is checked against this list by a test.
public enum DiagnosticCode: String, CaseIterable, Hashable, Comparable, Sendable, CustomStringConvertible {
  // MARK: Reading files and YAML

  /// A path given on the command line does not exist.
  case pathNotFound = "path-not-found"
  /// A file or folder exists but could not be read or listed.
  case unreadableFile = "unreadable-file"
  /// A YAML file (such as a rules file) could not be read.
  case unreadable = "unreadable"
  /// Standard input held no object.
  case emptyInput = "empty-input"
  /// libyaml refused the text.
  case yamlSyntax = "yaml-syntax"
  /// The input bytes are not UTF-8.
  case invalidEncoding = "invalid-encoding"
  /// A mapping repeats a key.
  case duplicateKey = "duplicate-key"
  /// YAML aliases expand past the limit.
  case yamlAliasExpansion = "yaml-alias-expansion"
  /// YAML nesting passes the depth limit.
  case yamlTooDeep = "yaml-too-deep"
  /// One YAML scalar passes the size limit.
  case yamlScalarTooLarge = "yaml-scalar-too-large"
  /// A folder is a Helm chart.
  case helmChart = "helm-chart"
  /// A folder is a kustomization.
  case kustomization = "kustomization"

  // MARK: Objects

  /// A document or list item is not a mapping.
  case notAnObject = "not-an-object"
  /// An object has no `kind`.
  case missingKind = "missing-kind"
  /// A kind kubereach does not model (printed with `--verbose`).
  case skippedKind = "skipped-kind"
  /// A policy kind of another project (Calico, Cilium, ...).
  case unevaluatedPolicy = "unevaluated-policy"
  /// An object of a kind kubereach does not model that creates pods (an operator's workload or
  /// a custom resource with a pod template).
  case unmodelledWorkload = "unmodelled-workload"
  /// An object has no `metadata.name`.
  case missingName = "missing-name"
  /// An object name the API server would refuse.
  case invalidName = "invalid-name"
  /// A field not in the kind's schema.
  case unknownField = "unknown-field"
  /// A field of the wrong YAML type.
  case invalidType = "invalid-type"
  /// A required field is missing.
  case missingField = "missing-field"
  /// A field value outside its allowed set.
  case invalidValue = "invalid-value"
  /// An object declared twice.
  case duplicateObject = "duplicate-object"
  /// A namespace used but not declared.
  case implicitNamespace = "implicit-namespace"
  /// A workload's replicas above `--max-replicas`.
  case replicasCapped = "replicas-capped"
  /// A pod IP that is not an address.
  case invalidIP = "invalid-ip"

  // MARK: Policy fields

  /// A label selector that the API server would refuse.
  case invalidSelector = "invalid-selector"
  /// A CIDR that does not parse.
  case invalidCIDR = "invalid-cidr"
  /// An `except` entry outside its ipBlock.
  case invalidExcept = "invalid-except"
  /// A port number or name that is not valid.
  case invalidPort = "invalid-port"
  /// A port range that is empty or out of bounds.
  case invalidPortRange = "invalid-port-range"
  /// A protocol other than TCP, UDP or SCTP.
  case invalidProtocol = "invalid-protocol"
  /// `endPort` without a numeric `port`.
  case endPortWithoutPort = "end-port-without-port"
  /// `endPort` with a named port.
  case namedPortWithEndPort = "named-port-with-end-port"
  /// A named port with an ipBlock peer.
  case namedPortIPBlock = "named-port-ipblock"
  /// A NetworkPolicy peer that sets nothing.
  case emptyPeer = "empty-peer"
  /// A `policyTypes` entry other than Ingress or Egress.
  case invalidPolicyType = "invalid-policy-type"
  /// An admin policy peer that is not exactly one kind.
  case invalidPeer = "invalid-peer"
  /// An admin policy rule that is not a mapping.
  case invalidRule = "invalid-rule"
  /// An admin policy rule without peers.
  case invalidRulePeers = "invalid-rule-peers"
  /// An admin policy rule action that is not known.
  case invalidAction = "invalid-action"
  /// An admin policy subject that is not exactly one kind.
  case invalidSubject = "invalid-subject"
  /// An AdminNetworkPolicy priority outside 0-1000.
  case invalidPriority = "invalid-priority"
  /// Two AdminNetworkPolicies with one priority.
  case duplicatePriority = "duplicate-priority"
  /// A BaselineAdminNetworkPolicy not named `default`.
  case invalidBaselineName = "invalid-baseline-name"
  /// More than one BaselineAdminNetworkPolicy.
  case multipleBaselinePolicies = "multiple-baseline-policies"
  /// A waypoint Gateway's `istio.io/waypoint-for` is not service, workload, all or none.
  case unknownWaypointFor = "unknown-waypoint-for"

  // MARK: Analysis

  /// A workload's pods differ in what policies read.
  case workloadPodsDiffer = "workload-pods-differ"
  /// A workload listed pod by pod (`--granularity auto`).
  case workloadSplit = "workload-split"
  /// `istio.io/use-waypoint` names a waypoint whose Gateway is not in the input.
  case waypointNotFound = "waypoint-not-found"
  /// A workload on the host network.
  case hostNetwork = "host-network"
  /// IPv6 blocks left out of the external ranges.
  case ipv6Omitted = "ipv6-omitted"
  /// A Route or Ingress backend that policies close.
  case ingressBlocked = "ingress-blocked"
  /// A peer named on the command line is not in the input.
  case unknownPeer = "unknown-peer"
  /// A namespace named on the command line has no workload.
  case unknownNamespace = "unknown-namespace"
  /// A Service has no port as asked.
  case unknownPort = "unknown-port"
  /// The analysis failed for a reason of its own.
  case analysis = "analysis"

  // MARK: Checks, flows and generated policies

  /// A rules file that is not valid.
  case invalidRules = "invalid-rules"
  /// An accept entry that matches no finding.
  case acceptUnused = "accept-unused"
  /// A flow file whose format cannot be told.
  case flowFormat = "flow-format"
  /// A flow line that cannot be read.
  case brokenLine = "broken-line"
  /// A flow that names no known peer.
  case unresolvedFlow = "unresolved-flow"
  /// A workload that no label set selects exactly.
  case selectorNotExact = "selector-not-exact"
  /// An Istio object that `--emit-istio` did not write.
  case istioNotEmitted = "istio-not-emitted"

  // MARK: Command line and output

  /// Arguments that do not fit together.
  case usage = "usage"
  /// A renderer failed (Graphviz refused a layout).
  case render = "render"
  /// Output could not be written.
  case output = "output"

  /// What the code means and what to do about it, in one line.
  public var summary: String {
    switch self {
    case .pathNotFound: "A path given does not exist; check its spelling."
    case .unreadableFile: "A file or folder could not be read or listed; check its permissions."
    case .unreadable: "A YAML file could not be read; check the path and its permissions."
    case .emptyInput: "Standard input held no object; check the command that feeds it."
    case .yamlSyntax: "The text is not valid YAML or JSON at the place shown; fix it (render templates first)."
    case .invalidEncoding: "The input is not UTF-8 text; convert it."
    case .duplicateKey:
      "A mapping repeats a key, often two files concatenated without a '---' line between them."
    case .yamlAliasExpansion: "YAML aliases expand to too many nodes (an alias bomb); the file is refused."
    case .yamlTooDeep: "YAML nesting is too deep; the file is refused."
    case .yamlScalarTooLarge: "One YAML value is too large; the file is refused."
    case .helmChart: "The folder is a Helm chart; render it with helm template and pipe the result in."
    case .kustomization: "The folder is a kustomization; render it with kubectl kustomize and pipe the result in."
    case .notAnObject: "A document or list item is not a Kubernetes object; it is ignored."
    case .missingKind: "An object has no kind; it is ignored."
    case .skippedKind: "A kind that does not affect connectivity was skipped (listed with --verbose)."
    case .unevaluatedPolicy:
      "A policy kind kubereach does not evaluate (Calico, Cilium, ...); the connectivity shown ignores it."
    case .unmodelledWorkload:
      "A kind that creates pods kubereach does not model (an operator's workload); those pods are left out: add their workload or a live dump."
    case .missingName: "An object has no metadata.name; add one."
    case .invalidName: "An object name the API server would refuse; rename it."
    case .unknownField: "A field not in the schema, often a typo; fix it (--lenient makes it a warning)."
    case .invalidType: "A field has the wrong type (for example a list where a mapping belongs); fix it."
    case .missingField: "A required field is missing; add it."
    case .invalidValue: "A field has a value outside its allowed set; use one of the values named."
    case .duplicateObject: "An object is declared twice; the same content is read once, different content is refused."
    case .implicitNamespace: "A namespace is used but not declared; it is assumed with only its name label."
    case .replicasCapped: "A workload asks for more replicas than --max-replicas; that many are modelled."
    case .invalidIP: "A pod IP is not an IP address; it is ignored."
    case .invalidSelector: "A label selector the API server would refuse; fix its keys, values or operator."
    case .invalidCIDR: "An ipBlock CIDR is missing or does not parse; fix it."
    case .invalidExcept: "An ipBlock except entry is not strictly inside its CIDR; fix it."
    case .invalidPort: "A port number or name is not valid; use 1-65535 or a valid port name."
    case .invalidPortRange: "A port range is empty or outside 1-65535; fix its start and end."
    case .invalidProtocol: "A protocol other than TCP, UDP or SCTP; fix it."
    case .endPortWithoutPort: "endPort needs a numeric port; add one."
    case .namedPortWithEndPort: "endPort cannot be used with a named port; use numbers."
    case .namedPortIPBlock:
      "A named port with an ipBlock peer resolves only on pods; it admits no address outside the cluster."
    case .emptyPeer: "A NetworkPolicy peer must set podSelector, namespaceSelector or ipBlock."
    case .invalidPolicyType: "policyTypes takes Ingress and Egress only."
    case .invalidPeer: "An admin policy peer must set exactly one of its fields."
    case .invalidRule: "An admin policy rule must be a mapping."
    case .invalidRulePeers: "An admin policy rule needs at least one peer."
    case .invalidAction: "An admin policy rule action must be Allow, Deny or Pass (Allow or Deny in a baseline)."
    case .invalidSubject: "An admin policy subject must set exactly one of namespaces or pods."
    case .invalidPriority: "An AdminNetworkPolicy priority must be 0-1000."
    case .duplicatePriority: "Two AdminNetworkPolicies share a priority and conflict; give each its own."
    case .invalidBaselineName: "A BaselineAdminNetworkPolicy must be named default."
    case .multipleBaselinePolicies: "Only one BaselineAdminNetworkPolicy may exist; remove the others."
    case .unknownWaypointFor:
      "A waypoint Gateway's istio.io/waypoint-for is not service, workload, all or none; it is read as service."
    case .workloadPodsDiffer:
      "A workload's pods differ in what policies read; use --granularity pod or auto to see them one by one."
    case .workloadSplit: "A workload whose pods differ is listed pod by pod (--granularity auto)."
    case .waypointNotFound:
      "istio.io/use-waypoint names a waypoint Gateway not in the input; a traffic type is assumed, add the Gateway."
    case .hostNetwork: "A workload uses hostNetwork; it is analysed as an ordinary pod, which CNIs may not do."
    case .ipv6Omitted: "Policies name IPv6 blocks; add --ipv6 to list IPv6 external ranges."
    case .ingressBlocked: "A Route or Ingress names a backend that network policies close to in-cluster sources."
    case .unknownPeer: "A peer named on the command line is not in the input; check the ns/name."
    case .unknownNamespace: "A namespace named on the command line has no workload in the input."
    case .unknownPort: "The Service has no port as asked; check --port and --protocol."
    case .analysis: "The analysis failed; the message says why."
    case .invalidRules: "The check rules file is not valid; fix it at the place shown."
    case .acceptUnused: "An accept entry matches no finding; fix its spelling or remove it."
    case .flowFormat: "The flow file's format cannot be told; give --flow-format."
    case .brokenLine: "A flow line cannot be read; it is skipped."
    case .unresolvedFlow: "A flow names no known peer or lacks what a policy needs; it is skipped."
    case .selectorNotExact: "No label set selects exactly a workload's pods; the generated policy selects more."
    case .istioNotEmitted: "--emit-istio wrote no object for this part; the message says why."
    case .usage: "Arguments that do not fit together; see the command's --help."
    case .render: "A renderer failed (for example Graphviz refusing a layout); try another -o format."
    case .output: "Output could not be written (a full disk, a closed file); the message names the system error."
    }
  }

  public var description: String { rawValue }

  /// In the order of the printed codes, so that sorted diagnostics keep their order.
  public static func < (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool { lhs.rawValue < rhs.rawValue }
}
