import KubeModel

extension ReachabilityEngine {
  /// The namespace netpol-analyzer gives its stand-in ingress-controller pod.
  public static let ingressControllerNamespace = "ingress-controller-ns"

  /// What an arbitrary in-cluster source may open toward the pod, as netpol-analyzer computes
  /// `{ingress-controller}` connections: the source is a pod without labels in a namespace of its
  /// own (`ingress-controller-ns`, carrying only `kubernetes.io/metadata.name`), without IPs.
  /// It matches `namespaceSelector: {}` and empty admin selectors, never specific selectors or
  /// ipBlocks. Admin policies whose subject matches it govern its egress. The caller intersects
  /// the result with the ports the Ingress/Route objects expose.
  public func connectionsFromIngressController(toPod pod: Int) -> ConnectionSet {
    let nsLabels = [namespaceNameLabel: Self.ingressControllerNamespace]
    let podLabels: [String: String] = [:]
    let dst = podClass(pod)
    func podSetMatches(_ set: AdminPodSet) -> Bool {
      switch set {
      case .namespaces(let ns): return ns.matches(nsLabels)
      case .pods(let ns, let pods): return ns.matches(nsLabels) && pods.matches(podLabels)
      }
    }
    func adminRuleHasVirtualPeer(_ rule: AdminPolicyRule) -> Bool {
      rule.peers.contains {
        if case .pods(let set) = $0 { return podSetMatches(set) }
        return false
      }
    }
    func npRuleHasVirtualPeer(_ rule: NetworkPolicyRule, namespace: String) -> Bool {
      if rule.peers.isEmpty { return true }
      return rule.peers.contains {
        guard case .selector(let pods, let namespaces) = $0 else { return false }
        let nsOK = namespaces?.matches(nsLabels) ?? (namespace == Self.ingressControllerNamespace)
        return nsOK && (pods?.matches(podLabels) ?? true)
      }
    }
    func portAdmits(_ r: CompiledRule, _ a: Int) -> Bool {
      if AtomBits.test(r.numeric, a) { return true }
      return r.names.contains { c.classNamed[dst][$0]?.contains(Int32(a)) ?? false }
    }
    let key = c.ingressProfiles[Int(c.ingressProfileOf[dst])]
    let subjectANPs = c.anps.indices.filter {
      podSetMatches(cluster.adminNetworkPolicies[c.anpSource[$0]].subject)
    }
    let banpSubject =
      cluster.baselineAdminNetworkPolicies.first.map { podSetMatches($0.subject) } ?? false
    var ports: [TransportProtocol: [PortRange]] = [:]
    for a in 0..<c.atoms.count {
      // Egress at the stand-in: admin tiers only (no NetworkPolicy lives in its namespace).
      var egress: Bool? = nil
      egressLoop: for i in subjectANPs {
        for r in c.anps[i].egress where r.peers.contains(dst) && portAdmits(r, a) {
          switch r.action {
          case .allow: egress = true
          case .deny: egress = false
          case .pass: break
          }
          break egressLoop
        }
      }
      if egress == nil, banpSubject, let banp = c.banp {
        for r in banp.egress where r.action != .pass && r.peers.contains(dst) && portAdmits(r, a) {
          egress = r.action == .allow
          break
        }
      }
      guard egress ?? true else { continue }
      // Ingress at the pod.
      var ingress: Bool? = nil
      ingressLoop: for i in key.anps {
        let raw = cluster.adminNetworkPolicies[c.anpSource[Int(i)]]
        for (r, rawRule) in zip(c.anps[Int(i)].ingress, raw.ingress)
        where adminRuleHasVirtualPeer(rawRule) && portAdmits(r, a) {
          switch r.action {
          case .allow: ingress = true
          case .deny: ingress = false
          case .pass: break
          }
          break ingressLoop
        }
      }
      if ingress == nil && !key.nps.isEmpty {
        ingress = key.nps.contains { p in
          let raw = cluster.networkPolicies[Int(p)]
          return zip(c.nps[Int(p)].ingress, raw.ingress).contains { r, rawRule in
            npRuleHasVirtualPeer(rawRule, namespace: raw.namespace) && portAdmits(r, a)
          }
        }
      }
      if ingress == nil, key.banp, let banp = c.banp,
        let raw = cluster.baselineAdminNetworkPolicies.first
      {
        for (r, rawRule) in zip(banp.ingress, raw.ingress)
        where r.action != .pass && adminRuleHasVirtualPeer(rawRule) && portAdmits(r, a) {
          ingress = r.action == .allow
          break
        }
      }
      if ingress ?? true { ports[c.atoms[a].proto, default: []].append(c.atoms[a].range) }
    }
    return ConnectionSet(ports)
  }
}
