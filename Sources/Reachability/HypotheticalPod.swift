import KubeModel

/// A pod that is not in the input but whose traffic is asked about, described by what
/// policies see of it: its namespace (with that namespace's labels when the input does not
/// declare it), its labels and its container ports. It has no addresses and the default
/// service account.
public struct HypotheticalPod: Hashable, Sendable {
  /// The namespace name.
  public var namespace: String
  /// The namespace's labels when the input has no namespace of that name (the
  /// `kubernetes.io/metadata.name` label is always added); an input namespace of that name
  /// keeps its own labels.
  public var namespaceLabels: [String: String]
  /// The pod's labels.
  public var labels: [String: String]
  /// The container ports it declares (named ports of rules resolve against them).
  public var ports: [ContainerPort]
  /// The pod's name, for the compiled pod only (never printed by the engine).
  public var name: String

  /// A hypothetical pod.
  public init(
    namespace: String, namespaceLabels: [String: String] = [:], labels: [String: String] = [:],
    ports: [ContainerPort] = [], name: String
  ) {
    self.namespace = namespace
    self.namespaceLabels = namespaceLabels
    self.labels = labels
    self.ports = ports
    self.name = name
  }

  /// The cluster the engine compiles: the input with the hypothetical pods (and their
  /// namespaces, when missing) appended, so that pod index `cluster.pods.count + i` is
  /// hypothetical pod `i`. Only the engine sees it.
  static func compiledCluster(_ cluster: Cluster, adding pods: [HypotheticalPod]) -> Cluster {
    guard !pods.isEmpty else { return cluster }
    var compiled = cluster
    var named = Set(cluster.namespaces.map(\.name))
    for pod in pods {
      let location = SourceLocation.synthetic("<\(pod.name)>")
      if named.insert(pod.namespace).inserted {
        compiled.namespaces.append(
          Namespace(name: pod.namespace, labels: pod.namespaceLabels, declared: false, location: location))
      }
      compiled.workloads.append(
        Workload(namespace: pod.namespace, name: pod.name, kind: .pod, podLabels: pod.labels, location: location))
      compiled.pods.append(
        Pod(
          namespace: pod.namespace, name: pod.name, labels: pod.labels, ports: pod.ports,
          workload: compiled.workloads.count - 1,
          location: location))
    }
    return compiled
  }
}
