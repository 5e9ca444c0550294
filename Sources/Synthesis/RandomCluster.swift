import KubeModel

/// Small random clusters that exercise every policy feature, for property tests: labels and
/// selectors over a tiny vocabulary (so selectors often match), matchExpressions with all four
/// operators, empty and absent sections, named ports, endPort ranges, ipBlocks with except in
/// IPv4 and IPv6, pod IPs, AdminNetworkPolicies with Allow/Deny/Pass and a baseline.
public enum RandomCluster {
  static let keys = ["app", "tier", "env"]
  static let values = ["a", "b", "c"]
  static let portNames = ["http", "dns", "metrics"]
  static let interesting = [53, 80, 443, 8080, 9090, 5432]
  static let v4Blocks = [
    "0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.168.0.0/16", "192.168.1.0/24",
    "172.16.0.0/12",
  ]
  static let v6Blocks = ["::/0", "2001:db8::/32", "2001:db8:1::/48", "fd00::/8"]

  /// A cluster from `seed`, with at most the given numbers of pods and policies.
  public static func generate(seed: UInt64, maxPods: Int = 8, maxPolicies: Int = 6) -> Cluster {
    var rng = SplitMix64(seed: seed)
    var cluster = Cluster()
    let loc = SourceLocation.synthetic("random-\(seed)")
    let nsCount = rng.inRange(1...3)
    for i in 0..<nsCount {
      cluster.namespaces.append(
        Namespace(name: "ns\(i)", labels: randomLabels(&rng), location: loc))
    }
    let podCount = rng.inRange(1...max(1, maxPods))
    for i in 0..<podCount {
      let ns = "ns\(rng.below(nsCount))"
      var ports: [ContainerPort] = []
      for _ in 0..<rng.below(3) {
        ports.append(
          ContainerPort(
            name: rng.chance(0.7) ? rng.pick(portNames) : nil, port: rng.pick(interesting),
            protocol: rng.chance(0.7) ? .tcp : rng.pick(TransportProtocol.allCases)))
      }
      var ips: [IPAddress] = []
      if rng.chance(0.5), let a = IPAddress("10.1.\(rng.below(4)).\(rng.inRange(1...250))") {
        ips.append(a)
      }
      if rng.chance(0.2), let a = IPAddress("2001:db8:\(rng.below(3))::\(rng.inRange(1...250))") {
        ips.append(a)
      }
      cluster.workloads.append(
        Workload(namespace: ns, name: "p\(i)", kind: .pod, podLabels: [:], location: loc))
      cluster.pods.append(
        Pod(
          namespace: ns, name: "p\(i)", labels: randomLabels(&rng), ports: ports,
          hostNetwork: rng.chance(0.05),
          ips: ips, workload: i, location: loc))
      cluster.workloads[i].podLabels = cluster.pods[i].labels
    }
    let npCount = rng.below(maxPolicies + 1)
    for i in 0..<npCount {
      let ns = "ns\(rng.below(nsCount))"
      let types = rng.below(4)
      let ingress = (0..<rng.below(3)).map { _ in npRule(&rng, loc) }
      let egress = (0..<rng.below(3)).map { _ in npRule(&rng, loc) }
      cluster.networkPolicies.append(
        NetworkPolicy(
          namespace: ns, name: "np\(i)", podSelector: selector(&rng, emptyChance: 0.4),
          ingress: ingress,
          egress: egress, isolatesIngress: types != 1, isolatesEgress: types >= 1, location: loc))
    }
    if rng.chance(0.5) {
      for i in 0..<rng.inRange(1...3) {
        cluster.adminNetworkPolicies.append(
          adminPolicy(&rng, name: "anp\(i)", baseline: false, loc))
      }
    }
    if rng.chance(0.4) {
      cluster.baselineAdminNetworkPolicies.append(
        adminPolicy(&rng, name: "default", baseline: true, loc))
    }
    return cluster
  }

  static func randomLabels(_ rng: inout SplitMix64) -> [String: String] {
    var labels: [String: String] = [:]
    for k in keys where rng.chance(0.6) { labels[k] = rng.pick(values) }
    return labels
  }

  static func selector(_ rng: inout SplitMix64, emptyChance: Double) -> LabelSelector {
    if rng.chance(emptyChance) { return .everything }
    var s = LabelSelector()
    if rng.chance(0.7) { s.matchLabels[rng.pick(keys)] = rng.pick(values) }
    if rng.chance(0.5) {
      let op = rng.pick(SelectorOperator.allCases)
      let vals: [String]
      switch op {
      case .in, .notIn:
        vals = Array(Set((0..<rng.inRange(1...2)).map { _ in rng.pick(values) })).sorted()
      case .exists, .doesNotExist: vals = []
      }
      s.matchExpressions.append(
        LabelRequirement(
          key: rng.pick(keys + ["kubernetes.io/metadata.name"]), operator: op,
          values: op == .in || op == .notIn ? (rng.chance(0.3) ? ["ns0", "ns1"] : vals) : vals))
    }
    return s
  }

  static func cidr(_ rng: inout SplitMix64) -> IPBlock? {
    let v6 = rng.chance(0.25)
    let pool = v6 ? v6Blocks : v4Blocks
    guard let c = CIDR(rng.pick(pool)) else { return nil }
    let inside = pool.compactMap { CIDR($0) }.filter { c.range.contains($0.range) && $0 != c }
    var except: [CIDR] = []
    if !inside.isEmpty && rng.chance(0.5) { except.append(rng.pick(inside)) }
    return IPBlock(cidr: c, except: except)
  }

  static func npRule(_ rng: inout SplitMix64, _ loc: SourceLocation) -> NetworkPolicyRule {
    var peers: [NetworkPolicyPeer] = []
    if !rng.chance(0.25) {
      for _ in 0..<rng.inRange(1...2) {
        switch rng.below(4) {
        case 0: peers.append(.selector(pods: selector(&rng, emptyChance: 0.3), namespaces: nil))
        case 1: peers.append(.selector(pods: nil, namespaces: selector(&rng, emptyChance: 0.3)))
        case 2:
          peers.append(
            .selector(
              pods: selector(&rng, emptyChance: 0.3), namespaces: selector(&rng, emptyChance: 0.3)))
        default: if let b = cidr(&rng) { peers.append(.ipBlock(b)) }
        }
      }
    }
    var ports: [NetworkPolicyPort] = []
    if !rng.chance(0.35) {
      for _ in 0..<rng.inRange(1...2) {
        let proto: TransportProtocol = rng.chance(0.6) ? .tcp : rng.pick(TransportProtocol.allCases)
        switch rng.below(4) {
        case 0: ports.append(NetworkPolicyPort(protocol: proto))
        case 1:
          ports.append(NetworkPolicyPort(protocol: proto, port: .number(rng.pick(interesting))))
        case 2:
          let lo = rng.pick(interesting)
          ports.append(
            NetworkPolicyPort(
              protocol: proto, port: .number(lo), endPort: lo + rng.inRange(0...9000)))
        default: ports.append(NetworkPolicyPort(protocol: proto, port: .name(rng.pick(portNames))))
        }
      }
    }
    return NetworkPolicyRule(peers: peers, ports: ports, location: loc)
  }

  static func podSet(_ rng: inout SplitMix64) -> AdminPodSet {
    rng.chance(0.5)
      ? .namespaces(selector(&rng, emptyChance: 0.4))
      : .pods(namespaces: selector(&rng, emptyChance: 0.5), pods: selector(&rng, emptyChance: 0.3))
  }

  static func adminRule(
    _ rng: inout SplitMix64, egress: Bool, baseline: Bool, index: Int, _ loc: SourceLocation
  )
    -> AdminPolicyRule
  {
    let action: AdminPolicyAction =
      baseline ? (rng.chance(0.5) ? .allow : .deny) : rng.pick([.allow, .deny, .pass])
    var peers: [AdminPolicyPeer] = []
    for _ in 0..<rng.inRange(1...2) {
      switch rng.below(egress ? 4 : 2) {
      case 0, 1: peers.append(.pods(podSet(&rng)))
      case 2:
        let cidrs = (0..<rng.inRange(1...2)).compactMap { _ in cidr(&rng)?.cidr }
        peers.append(.networks(cidrs))
      default: peers.append(.nodes(selector(&rng, emptyChance: 0.5)))
      }
    }
    var ports: [AdminPolicyPort]? = nil
    if rng.chance(0.6) {
      ports = (0..<rng.inRange(0...2)).map { _ in
        let proto: TransportProtocol = rng.chance(0.6) ? .tcp : rng.pick(TransportProtocol.allCases)
        switch rng.below(3) {
        case 0: return .number(proto, rng.pick(interesting))
        case 1:
          let lo = rng.pick(interesting)
          return .range(proto, lo, lo + rng.inRange(0...5000))
        default: return .named(rng.pick(portNames))
        }
      }
    }
    return AdminPolicyRule(
      name: "r\(index)", action: action, peers: peers, ports: ports, location: loc)
  }

  static func adminPolicy(
    _ rng: inout SplitMix64, name: String, baseline: Bool, _ loc: SourceLocation
  )
    -> AdminNetworkPolicy
  {
    AdminNetworkPolicy(
      name: name, priority: rng.below(5), isBaseline: baseline, subject: podSet(&rng),
      ingress: (0..<rng.below(3)).map {
        adminRule(&rng, egress: false, baseline: baseline, index: $0, loc)
      },
      egress: (0..<rng.below(3)).map {
        adminRule(&rng, egress: true, baseline: baseline, index: $0, loc)
      },
      location: loc)
  }
}
