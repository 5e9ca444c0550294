import KubeModel
import Reachability
import Synthesis
import Testing

/// Laws that hold whatever the cluster: changes that may only widen (or only narrow) what policies
/// allow, checked on seeded random clusters with the engine. Rules, peers and policies to add are
/// taken from another random cluster over the same vocabulary.
@Suite struct MonotonicLawTests {
  static let seeds: ClosedRange<UInt64> = 1...150
  static let addresses = ["10.1.2.3", "10.9.9.9", "192.168.1.7", "172.16.4.4", "8.8.8.8", "2001:db8:1::9"]
    .compactMap(IPAddress.init)

  /// Every verdict between pods, and between pods and a few fixed addresses, in both directions.
  static func verdicts(_ cluster: Cluster, _ options: EngineOptions) -> [String: ConnectionSet] {
    let engine = ReachabilityEngine(cluster: cluster, options: options)
    var result: [String: ConnectionSet] = [:]
    let pods = cluster.pods.indices
    for s in pods {
      for d in pods where s != d {
        result["\(s)>\(d)"] = engine.connections(from: .pod(s), to: .pod(d))
      }
      for address in addresses {
        guard let range = engine.externalRanges.first(where: { $0.contains(address) }) else { continue }
        result["\(s)>\(address)"] = engine.connections(from: .pod(s), to: .external(range))
        result["\(address)>\(s)"] = engine.connections(from: .external(range), to: .pod(s))
      }
    }
    return result
  }

  /// The flows `after` lost (`widens`) or gained (`!widens`) compared with `before`.
  static func violations(
    _ before: [String: ConnectionSet], _ after: [String: ConnectionSet], widens: Bool
  ) -> [String] {
    before.keys.sorted().compactMap { key in
      let a = before[key] ?? .none
      let b = after[key] ?? .none
      let lost = widens ? a.subtracting(b) : b.subtracting(a)
      return lost.isEmpty ? nil : "\(key): \(a) -> \(b)"
    }
  }

  /// Checks a law over every seed and both ipBlock readings.
  static func check(
    widens: Bool, _ mutate: (inout Cluster, Cluster, inout SplitMix64) -> Bool,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) {
    var applied = 0
    for seed in seeds {
      let cluster = RandomCluster.generate(seed: seed)
      let donor = RandomCluster.generate(seed: seed &+ 10_000, maxPolicies: 8)
      var rng = SplitMix64(seed: seed)
      var changed = cluster
      guard mutate(&changed, donor, &rng) else { continue }
      applied += 1
      for options in [EngineOptions(), EngineOptions(ipBlockMatchesPodIPs: true)] {
        let bad = violations(verdicts(cluster, options), verdicts(changed, options), widens: widens)
        #expect(bad.isEmpty, "seed \(seed): \(bad.prefix(3))", sourceLocation: sourceLocation)
        if !bad.isEmpty { return }
      }
    }
    #expect(applied >= 30, "only \(applied) clusters could be mutated", sourceLocation: sourceLocation)
  }

  static func donorRules(_ donor: Cluster) -> [NetworkPolicyRule] {
    donor.networkPolicies.flatMap { $0.ingress + $0.egress }
  }

  @Test func addingARuleToANetworkPolicyNeverRemovesAConnection() {
    Self.check(widens: true) { cluster, donor, rng in
      let rules = Self.donorRules(donor)
      guard !cluster.networkPolicies.isEmpty, !rules.isEmpty else { return false }
      let i = rng.below(cluster.networkPolicies.count)
      if rng.chance(0.5) {
        cluster.networkPolicies[i].ingress.append(rng.pick(rules))
      } else {
        cluster.networkPolicies[i].egress.append(rng.pick(rules))
      }
      return true
    }
  }

  @Test func addingAPeerOrAPortToARuleNeverRemovesAConnection() {
    Self.check(widens: true) { cluster, donor, rng in
      let rules = Self.donorRules(donor)
      let peers = rules.flatMap(\.peers)
      let ports = rules.flatMap(\.ports)
      // Only lists that already have entries: an empty list means "all", which one entry narrows.
      var targets: [(policy: Int, ingress: Bool, rule: Int)] = []
      for (p, policy) in cluster.networkPolicies.enumerated() {
        for r in policy.ingress.indices { targets.append((p, true, r)) }
        for r in policy.egress.indices { targets.append((p, false, r)) }
      }
      guard !targets.isEmpty, !peers.isEmpty, !ports.isEmpty else { return false }
      let t = rng.pick(targets)
      var rule =
        t.ingress ? cluster.networkPolicies[t.policy].ingress[t.rule] : cluster.networkPolicies[t.policy].egress[t.rule]
      var changed = false
      if !rule.peers.isEmpty {
        rule.peers.append(rng.pick(peers))
        changed = true
      }
      if !rule.ports.isEmpty {
        rule.ports.append(rng.pick(ports))
        changed = true
      }
      if t.ingress {
        cluster.networkPolicies[t.policy].ingress[t.rule] = rule
      } else {
        cluster.networkPolicies[t.policy].egress[t.rule] = rule
      }
      return changed
    }
  }

  @Test func aDenyAllPolicyNeverAddsAConnection() {
    Self.check(widens: false) { cluster, _, rng in
      let ns = rng.pick(cluster.namespaces).name
      cluster.networkPolicies.append(
        NetworkPolicy(
          namespace: ns, name: "deny-all", podSelector: .everything, ingress: [], egress: [],
          isolatesIngress: true, isolatesEgress: true, location: .synthetic("law")))
      return true
    }
  }

  /// Adds a rule taken from the donor's admin policies, with `action`, to a random admin policy
  /// (a new one when there is none), at a random position.
  static func addAdminRule(
    _ action: AdminPolicyAction, _ cluster: inout Cluster, _ donor: Cluster, _ rng: inout SplitMix64
  ) -> Bool {
    let pool = (donor.adminNetworkPolicies + donor.baselineAdminNetworkPolicies)
    let ingress = pool.flatMap(\.ingress)
    let egress = pool.flatMap(\.egress)
    guard !ingress.isEmpty || !egress.isEmpty else { return false }
    if cluster.adminNetworkPolicies.isEmpty {
      let used = Set(cluster.adminNetworkPolicies.map(\.priority))
      let priority = (0...1000).first { !used.contains($0) } ?? 0
      cluster.adminNetworkPolicies.append(
        AdminNetworkPolicy(
          name: "law", priority: priority, subject: .namespaces(.everything), location: .synthetic("law")))
    }
    let p = rng.below(cluster.adminNetworkPolicies.count)
    let useIngress = egress.isEmpty || (!ingress.isEmpty && rng.chance(0.5))
    var rule = rng.pick(useIngress ? ingress : egress)
    rule.action = action
    if useIngress {
      let at = rng.below(cluster.adminNetworkPolicies[p].ingress.count + 1)
      cluster.adminNetworkPolicies[p].ingress.insert(rule, at: at)
    } else {
      let at = rng.below(cluster.adminNetworkPolicies[p].egress.count + 1)
      cluster.adminNetworkPolicies[p].egress.insert(rule, at: at)
    }
    return true
  }

  @Test func anAdminDenyRuleNeverAddsAConnection() {
    Self.check(widens: false) { cluster, donor, rng in Self.addAdminRule(.deny, &cluster, donor, &rng) }
  }

  @Test func anAdminAllowRuleNeverRemovesAConnection() {
    Self.check(widens: true) { cluster, donor, rng in Self.addAdminRule(.allow, &cluster, donor, &rng) }
  }

  @Test func aPolicyOverAlreadyIsolatedPodsNeverRemovesAConnection() {
    Self.check(widens: true) { cluster, donor, rng in
      guard let template = donor.networkPolicies.first else { return false }
      func isolated(_ pod: Pod, ingress: Bool) -> Bool {
        cluster.networkPolicies.contains {
          $0.namespace == pod.namespace && (ingress ? $0.isolatesIngress : $0.isolatesEgress)
            && $0.podSelector.matches(pod.labels)
        }
      }
      // A pod already isolated in one direction; the new policy selects exactly the pods with its
      // labels, and is kept only when each of them is isolated in that direction too.
      let candidates = cluster.pods.filter { isolated($0, ingress: true) || isolated($0, ingress: false) }
      guard !candidates.isEmpty else { return false }
      let pod = rng.pick(candidates)
      let ingress = isolated(pod, ingress: true)
      let selector = LabelSelector(matchLabels: pod.labels)
      let selected = cluster.pods.filter { $0.namespace == pod.namespace && selector.matches($0.labels) }
      guard selected.allSatisfy({ isolated($0, ingress: ingress) }) else { return false }
      cluster.networkPolicies.append(
        NetworkPolicy(
          namespace: pod.namespace, name: "over-isolated", podSelector: selector,
          ingress: ingress ? template.ingress + template.egress : [],
          egress: ingress ? [] : template.ingress + template.egress,
          isolatesIngress: ingress, isolatesEgress: !ingress, location: .synthetic("law")))
      return true
    }
  }
}
