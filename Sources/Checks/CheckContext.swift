import Analysis
import Foundation
import KubeModel
import Reachability

/// One compiled engine over the input plus a few stand-in pods, and the class-level facts every
/// check reads. Everything here is asked of the engine once: its class table is scanned once.
///
/// Stand-ins are the engine's hypothetical pods: answered as pods, never added to the input
/// (they are numbered after the input's pods; `classHasInputPod` tells classes apart), never
/// reported themselves:
/// - an outsider: a pod without labels in a namespace of its own, without labels (whatever
///   reaches a workload from there reaches it from every namespace, even one made tomorrow);
/// - a probe per namespace: a pod without labels (a new workload there, to tell whether the
///   namespace denies by default);
/// - the ingress controller of Ingress and Route objects (as `analyze` has it);
/// - the cluster DNS, when the input has none: kube-system pods labelled k8s-app=kube-dns
///   serving UDP and TCP 53.
public final class CheckContext: @unchecked Sendable {
  /// The input as read.
  public let input: Cluster
  /// The engine over the input and the stand-ins.
  public let engine: ReachabilityEngine
  /// The outsider stand-in's engine pod index.
  public let outsiderPod: Int
  /// The engine pod index of the namespace probe stand-in of each namespace.
  public let namespaceProbes: [String: Int]
  /// The ingress-controller stand-in, when the input has Ingress or Route objects.
  public let ingressController: Peer?
  /// The cluster DNS (found in the input, or the stand-in; a stand-in server's `pod` is an
  /// engine pod index).
  public let dns: ClusterDNS
  /// The cluster DNS stand-in, when the input has none.
  public let dnsStandIn: HypotheticalPod?
  /// True when the input had no cluster DNS and the stand-in is used.
  public let dnsAssumed: Bool

  /// Per workload of the input: its pods' classes, sorted, unique.
  public let workloadClasses: [[Int]]
  /// Per workload: one pod of each class, aligned with `workloadClasses`.
  public let workloadClassPods: [[Int]]

  /// Per class: the connections every IPv4 external range gets in (nil: none).
  public private(set) var fromEveryExternal: [ConnectionSet?] = []
  /// Per class: the connections some external range gets in (nil: none).
  public private(set) var fromSomeExternal: [ConnectionSet?] = []
  /// Per class: what the outsider gets in.
  public private(set) var fromOutsider: [ConnectionSet?] = []
  /// Per class: what it gets to the outsider.
  public private(set) var toOutsider: [ConnectionSet?] = []
  /// Per class: what the ingress controller gets in.
  public private(set) var fromIngressController: [ConnectionSet?] = []
  /// Per class: what it gets to each DNS server class (keyed by DNS class).
  public private(set) var toDNS: [[Int: ConnectionSet]] = []
  /// The packed class table, for rules that ask about arbitrary pairs.
  public let table: ClassConnectionTable

  public init(cluster input: Cluster, options: EngineOptions = .init()) {
    self.input = input
    var standIns: [HypotheticalPod] = []
    /// Adds a stand-in and returns its engine pod index (hypothetical pods follow the input's).
    func addPod(_ pod: HypotheticalPod) -> Int {
      standIns.append(pod)
      return input.pods.count + standIns.count - 1
    }
    var namespaces = Set(input.namespaces.map(\.name))
    for pod in input.pods { namespaces.insert(pod.namespace) }
    var outsiderNamespace = "kubereach-outsider"
    while namespaces.contains(outsiderNamespace) { outsiderNamespace += "-x" }
    outsiderPod = addPod(HypotheticalPod(namespace: outsiderNamespace, name: "outsider"))
    var probes: [String: Int] = [:]
    for ns in namespaces.sorted() { probes[ns] = addPod(HypotheticalPod(namespace: ns, name: "kubereach-probe")) }
    namespaceProbes = probes
    let controller = input.ingresses.isEmpty ? nil : addPod(IngressControllerStandIn.pod)
    if let found = ClusterDNS.find(in: input) {
      dns = found
      dnsAssumed = false
      dnsStandIn = nil
    } else {
      let standIn = HypotheticalPod(
        namespace: ClusterDNS.namespace, labels: ClusterDNS.labels,
        ports: [
          ContainerPort(name: "dns", port: 53, protocol: .udp),
          ContainerPort(name: "dns-tcp", port: 53, protocol: .tcp),
        ], name: "kube-dns")
      let pod = addPod(standIn)
      dns = ClusterDNS(origin: .label, servers: [ClusterDNS.Server(pod: pod, ports: ClusterDNS.defaultPorts)])
      dnsAssumed = true
      dnsStandIn = standIn
    }
    let engine = ReachabilityEngine(cluster: input, options: options, hypotheticalPods: standIns)
    self.engine = engine
    ingressController = controller.map { .pod($0) }
    var classes = [[Int]](repeating: [], count: input.workloads.count)
    var pods = [[Int]](repeating: [], count: input.workloads.count)
    for (p, pod) in input.pods.enumerated() {
      let cls = engine.podClass(p)
      if !classes[pod.workload].contains(cls) {
        classes[pod.workload].append(cls)
        pods[pod.workload].append(p)
      }
    }
    workloadClasses = classes
    workloadClassPods = pods
    table = engine.classConnectionTable()
    scan()
  }

  /// One pass over the class table.
  private func scan() {
    let n = engine.classCount
    let sets = table.connectionSets
    var interned: [ConnectionSet: Int] = [:]
    var all = sets
    for (i, s) in sets.enumerated() { interned[s] = i }
    func intern(_ s: ConnectionSet) -> Int {
      if let i = interned[s] { return i }
      all.append(s)
      interned[s] = all.count - 1
      return all.count - 1
    }
    var interMemo: [Int: Int] = [:]
    var unionMemo: [Int: Int] = [:]
    func combine(_ a: Int, _ b: Int, union: Bool) -> Int {
      if a == b { return a }
      let key = min(a, b) << 32 | max(a, b)
      if let hit = union ? unionMemo[key] : interMemo[key] { return hit }
      let r = intern(union ? all[a].union(all[b]) : all[a].intersection(all[b]))
      if union { unionMemo[key] = r } else { interMemo[key] = r }
      return r
    }
    let ranges = engine.externalRanges
    let v4 = ranges.indices.filter { ranges[$0].family == .v4 }
    let v4Count = v4.count
    var everyCount = [Int](repeating: 0, count: n)
    var every = [Int](repeating: -1, count: n)
    var some = [Int](repeating: -1, count: n)
    var outsider = [Int](repeating: -1, count: n)
    var outbound = [Int](repeating: -1, count: n)
    var controller = [Int](repeating: -1, count: n)
    var dnsTo = [[Int: ConnectionSet]](repeating: [:], count: n)
    let outsiderClass = engine.podClass(outsiderPod)
    var controllerClass = -1
    if case .pod(let controller) = ingressController { controllerClass = engine.podClass(controller) }
    var dnsClasses = Set<Int>()
    for server in dns.servers { dnsClasses.insert(engine.podClass(server.pod)) }
    for i in 0..<table.count {
      let set = table.connectionIndex(i)
      switch (table.source(i), table.destination(i)) {
      case (.external(let e), .podClass(let d)):
        some[d] = some[d] < 0 ? set : combine(some[d], set, union: true)
        if ranges[e].family == .v4 {
          everyCount[d] += 1
          every[d] = every[d] < 0 ? set : combine(every[d], set, union: false)
        }
      case (.podClass(let s), .podClass(let d)):
        if s == outsiderClass { outsider[d] = set }
        if d == outsiderClass { outbound[s] = set }
        if s == controllerClass { controller[d] = set }
        if dnsClasses.contains(d) && s != d { dnsTo[s][d] = all[set] }
      default:
        continue
      }
    }
    fromEveryExternal = (0..<n).map { everyCount[$0] == v4Count && every[$0] >= 0 ? all[every[$0]] : nil }
    fromSomeExternal = some.map { $0 < 0 ? nil : all[$0] }
    fromOutsider = outsider.map { $0 < 0 ? nil : all[$0] }
    toOutsider = outbound.map { $0 < 0 ? nil : all[$0] }
    fromIngressController = controller.map { $0 < 0 ? nil : all[$0] }
    toDNS = dnsTo
  }

  /// The object of a workload.
  public static func object(_ w: Workload) -> ObjectRef {
    ObjectRef(kind: w.kind.rawValue, namespace: w.namespace, name: w.name)
  }

  /// Whether some input pod belongs to the class.
  public func classHasInputPod(_ cls: Int) -> Bool {
    engine.pods(inClass: cls).contains { !engine.isHypothetical($0) }
  }
}
