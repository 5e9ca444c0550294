import KubeModel
import Manifests
import Reachability

/// What a generated policy is for.
public enum PolicyRole: String, Hashable, Comparable, Sendable {
  case defaultDeny = "default-deny"
  case dnsEgress = "dns-egress"
  case dnsIngress = "dns-ingress"
  case ingress
  case egress

  var rank: Int {
    switch self {
    case .defaultDeny: 0
    case .dnsEgress: 1
    case .dnsIngress: 2
    case .ingress: 3
    case .egress: 4
    }
  }

  public static func < (lhs: PolicyRole, rhs: PolicyRole) -> Bool { lhs.rank < rhs.rank }

  /// Default-deny and DNS policies are what the user asked for besides the flows: verification
  /// counts what they allow as requested, not as a least-privilege gap.
  public var isBaseline: Bool { self == .defaultDeny || self == .dnsEgress || self == .dnsIngress }
}

/// One generated NetworkPolicy with its annotations.
public struct GeneratedPolicy: Hashable, Sendable {
  public var policy: NetworkPolicy
  public var annotations: [String: String]
  public var role: PolicyRole

  /// `ns/name`.
  public var key: String { "\(policy.namespace)/\(policy.name)" }
}

/// The manifest formats the generator writes.
public enum ManifestFormat: String, CaseIterable, Sendable {
  /// One YAML document per policy (libyaml's emitter).
  case yaml
  /// One `v1` `List` whose items are the policies.
  case json
}

/// Generated policies, ready to be written and verified.
public struct GenerationResult: Sendable {
  public var policies: [GeneratedPolicy]
  /// Warnings (selectors that take in other pods, flows that need no policy).
  public var diagnostics: [Diagnostic]
  /// Istio objects (`--emit-istio`), written after the NetworkPolicies.
  public var meshObjects: [GeneratedMeshObject] = []

  public init(policies: [GeneratedPolicy], diagnostics: [Diagnostic], meshObjects: [GeneratedMeshObject] = []) {
    self.policies = policies
    self.diagnostics = diagnostics
    self.meshObjects = meshObjects
  }

  /// The manifests, one per policy, then one per Istio object.
  public var documents: [YAMLValue] {
    policies.map { ManifestWriter.document(for: $0.policy, annotations: $0.annotations) } + meshObjects.map(\.document)
  }

  /// The exact bytes to write.
  public func render(_ format: ManifestFormat) -> [UInt8] {
    switch format {
    case .yaml:
      return Array(YAMLEmitter.emit(documents).utf8)
    case .json:
      let list = YAMLValue.map([
        "apiVersion": .string("v1"), "kind": .string("List"), "items": .sequence(documents),
      ])
      return Array(JSONEmitter.emit(list).utf8)
    }
  }
}

/// Where `--allow-dns` sends DNS queries: the cluster DNS that `ClusterDNS.find` finds (the
/// pods behind the `kube-dns` Service on its target ports, else `k8s-app=kube-dns` in
/// `kube-system`), or, when the manifests hold no DNS pods, `k8s-app=kube-dns` in `kube-system`
/// on UDP and TCP 53.
struct DNSTarget {
  var namespace: String
  var podLabels: [String: String]
  var ports: [ClusterDNS.DNSPort]
  /// How it was found, for annotations.
  var origin: String
  /// Pod indices (empty when the manifests hold no DNS pods).
  var pods: [Int]

  init(cluster: Cluster) {
    guard let dns = ClusterDNS.find(in: cluster) else {
      namespace = ClusterDNS.namespace
      podLabels = ClusterDNS.labels
      ports = ClusterDNS.defaultPorts
      origin = "pods labelled k8s-app=kube-dns in kube-system (none in the manifests)"
      pods = []
      return
    }
    pods = dns.servers.map(\.pod)
    ports = Array(Set(dns.servers.flatMap(\.ports))).sorted()
    switch dns.origin {
    case .service(let name):
      let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
      namespace = parts[0]
      podLabels =
        cluster.services.first { $0.namespace == parts[0] && $0.name == parts.last }?.selector ?? ClusterDNS.labels
      origin = "the pods behind Service \(name)"
    case .label:
      namespace = ClusterDNS.namespace
      podLabels = ClusterDNS.labels
      origin = "pods labelled k8s-app=kube-dns in kube-system"
    }
  }
}

/// Builds least-privilege NetworkPolicies: default-deny per namespace, DNS egress, and one
/// ingress policy per destination workload and one egress policy per source workload of the
/// flows.
public enum PolicyGenerator {
  /// Annotation keys.
  public static let purposeKey = "kubereach.io/purpose"
  public static let flowsKey = "kubereach.io/admitted-flows"
  public static let countKey = "kubereach.io/observed-count"
  public static let alsoSelectsKey = "kubereach.io/selector-also-selects"

  /// The namespaces of the manifests: declared ones and those holding pods, sorted.
  public static func namespaces(of cluster: Cluster) -> [String] {
    Set(cluster.namespaces.filter(\.declared).map(\.name) + cluster.pods.map(\.namespace)).sorted()
  }

  /// Deny-all ingress and egress in each namespace (all of the manifests' when `namespaces` is
  /// empty), with DNS egress (and ingress at the DNS pods when their namespace is denied).
  public static func defaultDeny(cluster: Cluster, namespaces: [String] = [], allowDNS: Bool) -> GenerationResult {
    let targets = namespaces.isEmpty ? Self.namespaces(of: cluster) : Array(Set(namespaces)).sorted()
    var out: [GeneratedPolicy] = []
    for ns in targets { out.append(denyAll(ns)) }
    if allowDNS {
      let dns = DNSTarget(cluster: cluster)
      out += dnsPolicies(dns, egressNamespaces: targets, isolatedDNS: targets.contains(dns.namespace))
    }
    return GenerationResult(policies: sorted(out), diagnostics: [])
  }

  static func denyAll(_ ns: String) -> GeneratedPolicy {
    GeneratedPolicy(
      policy: NetworkPolicy(
        namespace: ns, name: "default-deny", podSelector: .everything, isolatesIngress: true, isolatesEgress: true,
        location: .synthetic("generated")),
      annotations: [
        purposeKey: "deny all ingress and egress of every pod in namespace \(ns) unless another policy allows it",
        flowsKey: "0",
      ], role: .defaultDeny)
  }

  static func dnsPorts(_ dns: DNSTarget) -> [NetworkPolicyPort] {
    dns.ports.map { NetworkPolicyPort(protocol: $0.protocol, port: .number($0.port)) }
  }

  static func dnsPolicies(_ dns: DNSTarget, egressNamespaces: [String], isolatedDNS: Bool) -> [GeneratedPolicy] {
    var out: [GeneratedPolicy] = []
    let origin = dns.origin
    let dnsPeer = NetworkPolicyPeer.selector(
      pods: LabelSelector(matchLabels: dns.podLabels),
      namespaces: LabelSelector(matchLabels: [namespaceNameLabel: dns.namespace]))
    for ns in egressNamespaces {
      out.append(
        GeneratedPolicy(
          policy: NetworkPolicy(
            namespace: ns, name: "allow-dns-egress", podSelector: .everything, ingress: [],
            egress: [NetworkPolicyRule(peers: [dnsPeer], ports: dnsPorts(dns), location: .synthetic("generated"))],
            isolatesIngress: false, isolatesEgress: true, location: .synthetic("generated")),
          annotations: [
            purposeKey: "allow every pod in namespace \(ns) to query the cluster DNS (\(origin))", flowsKey: "0",
          ],
          role: .dnsEgress))
    }
    if isolatedDNS {
      out.append(
        GeneratedPolicy(
          policy: NetworkPolicy(
            namespace: dns.namespace, name: "allow-dns-ingress", podSelector: LabelSelector(matchLabels: dns.podLabels),
            ingress: [
              NetworkPolicyRule(
                peers: [.selector(pods: nil, namespaces: .everything)], ports: dnsPorts(dns),
                location: .synthetic("generated"))
            ], isolatesIngress: true, isolatesEgress: false, location: .synthetic("generated")),
          annotations: [purposeKey: "allow DNS queries from every namespace to \(origin)", flowsKey: "0"],
          role: .dnsIngress))
    }
    return out
  }

  static func sorted(_ policies: [GeneratedPolicy]) -> [GeneratedPolicy] {
    policies.sorted {
      ($0.policy.namespace, $0.role.rank, $0.policy.name) < ($1.policy.namespace, $1.role.rank, $1.policy.name)
    }
  }

  /// Least-privilege policies for `flows` (see the type's description).
  public static func fromFlows(
    cluster: Cluster, flows: [ResolvedFlow], defaultDeny: Bool, allowDNS: Bool, emitIstio: Bool = false,
    options: EngineOptions = .init()
  ) -> GenerationResult {
    var finder = StableSelectorFinder(cluster: cluster)
    var diagnostics: [Diagnostic] = []
    var reported = Set<Int>()
    // Per workload and direction: peer -> ports, and the flows admitted.
    struct Side {
      var ports: [FlowPeer: Set<[Int]>] = [:]
      var flows = 0
      var count = 0
    }
    var ingress: [Int: Side] = [:]
    var egress: [Int: Side] = [:]
    func peerKey(_ p: FlowPeer) -> FlowPeer {
      if case .pod(let i) = p { return .workload(cluster.pods[i].workload) }
      return p
    }
    func portKey(_ f: ResolvedFlow) -> [Int] { [TransportProtocol.allCases.firstIndex(of: f.transport)!, f.port] }
    for f in flows {
      if let s = f.source.workload(in: cluster), let d = f.destination.workload(in: cluster), s == d,
        case .pod(let a) = f.source, case .pod(let b) = f.destination, a == b
      {
        continue  // a pod's traffic to itself needs no policy
      }
      if let d = f.destination.workload(in: cluster) {
        ingress[d, default: Side()].ports[peerKey(f.source), default: []].insert(portKey(f))
        ingress[d]!.flows += 1
        ingress[d]!.count += f.count
      }
      if let s = f.source.workload(in: cluster) {
        egress[s, default: Side()].ports[peerKey(f.destination), default: []].insert(portKey(f))
        egress[s]!.flows += 1
        egress[s]!.count += f.count
      }
    }
    func selector(_ w: Int) -> LabelSelector {
      let sel = finder.selector(for: w)
      if !sel.isExact, reported.insert(w).inserted {
        let names = sel.alsoSelects.prefix(10).map { cluster.pods[$0].name }.joined(separator: ", ")
        let more = sel.alsoSelects.count > 10 ? " and \(sel.alsoSelects.count - 10) more" : ""
        diagnostics.append(
          .warning(
            .selectorNotExact,
            "no label set selects exactly the pods of \(cluster.workloads[w].displayName); its selector \(labelText(sel.labels)) also selects \(names)\(more)",
            at: cluster.workloads[w].location))
      }
      return LabelSelector(matchLabels: sel.labels)
    }
    func alsoSelects(_ w: Int) -> [String: String] {
      let sel = finder.selector(for: w)
      guard !sel.isExact else { return [:] }
      let names = sel.alsoSelects.map { cluster.pods[$0].name }
      let text = names.prefix(10).joined(separator: ", ") + (names.count > 10 ? " and \(names.count - 10) more" : "")
      return [alsoSelectsKey: text]
    }
    func peer(_ p: FlowPeer) -> NetworkPolicyPeer {
      switch p {
      case .workload(let w), .pod(let w):
        let wl = cluster.workloads[w]
        return .selector(
          pods: selector(w), namespaces: LabelSelector(matchLabels: [namespaceNameLabel: wl.namespace]))
      case .external(let cidr):
        return .ipBlock(IPBlock(cidr: CIDR(address: cidr.range.lowerAddress, prefixLength: cidr.prefixLength)))
      }
    }
    func ports(_ keys: Set<[Int]>, at destination: FlowPeer) -> [NetworkPolicyPort] {
      keys.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }.map { key in
        let t = TransportProtocol.allCases[key[0]]
        return NetworkPolicyPort(protocol: t, port: portValue(t, key[1], at: destination))
      }
    }
    func portValue(_ t: TransportProtocol, _ n: Int, at destination: FlowPeer) -> PortValue {
      guard case .workload(let w) = destination else { return .number(n) }
      let pods = finder.podsOfWorkload[w]
      let names = Set(pods.map { p in cluster.pods[p].ports.first { $0.port == n && $0.protocol == t }?.name })
      if names.count == 1, let only = names.first, let name = only, !name.isEmpty { return .name(name) }
      return .number(n)
    }
    var nameUses: [String: Int] = [:]
    for wl in cluster.workloads { nameUses["\(wl.namespace)/\(wl.name)", default: 0] += 1 }
    func uniqueName(_ prefix: String, _ w: Int) -> String {
      let wl = cluster.workloads[w]
      let clash = (nameUses["\(wl.namespace)/\(wl.name)"] ?? 0) > 1
      return clash ? "\(prefix)-\(wl.name)-\(wl.kind.rawValue.lowercased())" : "\(prefix)-\(wl.name)"
    }
    func sortedPeers(_ side: Side) -> [FlowPeer] {
      side.ports.keys.sorted { a, b in
        switch (a, b) {
        case (.workload(let x), .workload(let y)):
          let l = cluster.workloads[x]
          let r = cluster.workloads[y]
          return (l.namespace, l.name, l.kind) < (r.namespace, r.name, r.kind)
        default: return a < b
        }
      }
    }
    var out: [GeneratedPolicy] = []
    for (isIngress, sides) in [(true, ingress), (false, egress)] {
      for (w, side) in sides {
        let wl = cluster.workloads[w]
        let rules = sortedPeers(side).map { p in
          NetworkPolicyRule(
            peers: [peer(p)], ports: ports(side.ports[p]!, at: isIngress ? .workload(w) : p),
            location: .synthetic("generated"))
        }
        let purpose =
          isIngress
          ? "allow the observed ingress to \(wl.displayName) from \(side.ports.count) peer(s)"
          : "allow the observed egress from \(wl.displayName) to \(side.ports.count) peer(s)"
        var annotations = [purposeKey: purpose, flowsKey: String(side.flows), countKey: String(side.count)]
        annotations.merge(alsoSelects(w)) { a, _ in a }
        out.append(
          GeneratedPolicy(
            policy: NetworkPolicy(
              namespace: wl.namespace, name: uniqueName(isIngress ? "allow-ingress-to" : "allow-egress-from", w),
              podSelector: selector(w), ingress: isIngress ? rules : [], egress: isIngress ? [] : rules,
              isolatesIngress: isIngress, isolatesEgress: !isIngress, location: .synthetic("generated")),
            annotations: annotations, role: isIngress ? .ingress : .egress))
      }
    }
    var denied: [String] = []
    if defaultDeny {
      denied = namespaces(of: cluster)
      out += denied.map(denyAll)
    }
    if allowDNS {
      let dns = DNSTarget(cluster: cluster)
      let egressNamespaces = Set(denied + egress.keys.map { cluster.workloads[$0].namespace }).sorted()
      let dnsIsolated =
        denied.contains(dns.namespace)
        || dns.pods.contains { p in ingress.keys.contains(cluster.pods[p].workload) }
      out += dnsPolicies(dns, egressNamespaces: egressNamespaces, isolatedDNS: dnsIsolated)
    }
    var meshObjects: [GeneratedMeshObject] = []
    if emitIstio {
      meshObjects = istio(cluster: cluster, flows: flows, finder: &finder, diagnostics: &diagnostics, options: options)
    }
    return GenerationResult(policies: sorted(out), diagnostics: diagnostics.sorted(), meshObjects: meshObjects)
  }

  static func labelText(_ labels: [String: String]) -> String {
    "{" + labels.keys.sorted().map { "\($0)=\(labels[$0]!)" }.joined(separator: ",") + "}"
  }
}

extension PolicyGenerator {
  /// The DNS queries `--allow-dns` promises, as flows to verify: from one workload of each
  /// namespace to every DNS workload on every DNS port (none when the DNS pods are unknown).
  public static func dnsFlows(cluster: Cluster, namespaces: [String]) -> [ResolvedFlow] {
    let dns = DNSTarget(cluster: cluster)
    let servers = Array(Set(dns.pods.map { cluster.pods[$0].workload })).sorted()
    guard !servers.isEmpty else { return [] }
    var firstWorkload: [String: Int] = [:]
    for pod in cluster.pods where firstWorkload[pod.namespace] == nil && !pod.hostNetwork {
      firstWorkload[pod.namespace] = pod.workload
    }
    var out: [ResolvedFlow] = []
    for ns in namespaces {
      guard let client = firstWorkload[ns] else { continue }
      for server in servers where server != client {
        for port in dns.ports {
          out.append(
            ResolvedFlow(
              source: .workload(client), destination: .workload(server), transport: port.protocol, port: port.port,
              count: 0, location: .synthetic("--allow-dns")))
        }
      }
    }
    return out
  }
}
