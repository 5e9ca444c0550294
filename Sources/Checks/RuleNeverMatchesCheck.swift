import KubeModel
import Reachability

/// Rules that can never match: a peer whose namespace selector matches no namespace or whose
/// selectors match no pod of the input, a named port that no pod it could apply to declares
/// (NetworkPolicy and admin policy rules alike).
struct RuleNeverMatchesCheck: ClusterCheck {
  static let id = "rule-never-matches"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Rule that can never match", defaultSeverity: .warning,
        help:
          "Part of this rule matches nothing in the input: a namespaceSelector no namespace carries, a podSelector no pod carries, or a named port no pod declares. The traffic it was written for stays denied. Check the labels and port names against the workloads."
      )
    ]
  }

  /// Pods of the input, indexed for selector questions: namespace labels, and the distinct pod
  /// label sets of each namespace.
  final class Index {
    var namespaceLabels: [String: [String: String]] = [:]
    var podLabels: [String: [[String: String]]] = [:]
    var namespaceCache: [LabelSelector: [String]] = [:]

    /// The input's namespaces and pods, plus `extra` pods (the assumed cluster DNS).
    init(_ cluster: Cluster, extra: [HypotheticalPod]) {
      namespaceLabels = cluster.namespaceLabelsByName()
      var seen: [String: Set<[String: String]>] = [:]
      let pods: [(namespace: String, labels: [String: String])] =
        cluster.pods.map { ($0.namespace, $0.labels) } + extra.map { ($0.namespace, $0.labels) }
      for pod in pods {
        if namespaceLabels[pod.namespace] == nil {
          namespaceLabels[pod.namespace] = [namespaceNameLabel: pod.namespace]
        }
        if seen[pod.namespace, default: []].insert(pod.labels).inserted {
          podLabels[pod.namespace, default: []].append(pod.labels)
        }
      }
    }

    func namespaces(_ selector: LabelSelector) -> [String] {
      if let hit = namespaceCache[selector] { return hit }
      let out = namespaceLabels.keys.filter { selector.matches(namespaceLabels[$0] ?? [:]) }.sorted()
      namespaceCache[selector] = out
      return out
    }

    /// Whether a pod in one of `namespaces` matches `pods` (nil: any pod).
    func anyPod(in namespaces: [String], matching pods: LabelSelector?) -> Bool {
      namespaces.contains { ns in (podLabels[ns] ?? []).contains { pods?.matches($0) ?? true } }
    }
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    // Rules toward the cluster DNS are normal even when the input leaves kube-system out: the
    // assumed DNS pods count as present (as the DNS check assumes them).
    let index = Index(ctx.input, extra: ctx.dnsStandIn.map { [$0] } ?? [])
    var out: [Finding] = []
    func add(_ object: ObjectRef, _ what: String, _ detail: String, _ location: SourceLocation) {
      out.append(
        Finding(check: Self.id, severity: .warning, message: what, object: object, detail: detail, location: location))
    }
    for (i, np) in ctx.input.networkPolicies.enumerated() {
      let object = ObjectRef(kind: "NetworkPolicy", namespace: np.namespace, name: np.name)
      let subject = ctx.engine.subjectClasses(networkPolicy: i).filter(ctx.classHasInputPod)
      for direction in Direction.allCases {
        let isolates = direction == .ingress ? np.isolatesIngress : np.isolatesEgress
        guard isolates else { continue }
        let rules = direction == .ingress ? np.ingress : np.egress
        for (r, rule) in rules.enumerated() {
          let ruleName = "\(np.namespace)/\(np.name) \(direction.rawValue.lowercased()) rule #\(r + 1)"
          for (p, peer) in rule.peers.enumerated() {
            guard case .selector(let pods, let namespaces) = peer else { continue }
            let nsList: [String]
            if let namespaces {
              nsList = index.namespaces(namespaces)
              if nsList.isEmpty {
                add(
                  object, "\(ruleName): peer #\(p + 1)'s namespaceSelector matches no namespace",
                  "\(direction.rawValue)#\(r + 1)/peer#\(p + 1)/namespaces", rule.location)
                continue
              }
            } else {
              nsList = [np.namespace]
            }
            if !index.anyPod(in: nsList, matching: pods) {
              add(
                object, "\(ruleName): peer #\(p + 1) selects no pod",
                "\(direction.rawValue)#\(r + 1)/peer#\(p + 1)/pods", rule.location)
            }
          }
          guard !subject.isEmpty else { continue }
          for port in rule.ports {
            guard case .name(let name)? = port.port else { continue }
            let candidates =
              direction == .ingress
              ? subject
              : ctx.engine.peerClasses(networkPolicy: i, direction: .egress, rule: r).filter(ctx.classHasInputPod)
            if !candidates.contains(where: {
              ctx.engine.declaresNamedPort(class: $0, name: name, protocol: port.protocol)
            }) {
              let whose = direction == .ingress ? "pod the policy selects" : "pod the rule's peers select"
              add(
                object, "\(ruleName): named port \(name)/\(port.protocol.rawValue) is declared by no \(whose)",
                "\(direction.rawValue)#\(r + 1)/port/\(name)", rule.location)
            }
          }
        }
      }
    }
    // Admin policies with the engine's answers: the classes they select, and the classes a rule's
    // peers select (only the first BaselineAdminNetworkPolicy is compiled).
    var admins: [(AdminNetworkPolicy, [Int], (Direction, Int) -> [Int])] = ctx.input.adminNetworkPolicies
      .enumerated().map { i, anp in
        (
          anp, ctx.engine.subjectClasses(adminNetworkPolicy: i),
          { ctx.engine.peerClasses(adminNetworkPolicy: i, direction: $0, rule: $1) }
        )
      }
    for (i, banp) in ctx.input.baselineAdminNetworkPolicies.enumerated() {
      admins.append(
        i == 0
          ? (banp, ctx.engine.baselineSubjectClasses, { ctx.engine.baselinePeerClasses(direction: $0, rule: $1) })
          : (banp, [], { _, _ in [] }))
    }
    for (anp, subjectClasses, peerClasses) in admins {
      let object = ObjectRef(kind: anp.kindName, namespace: "", name: anp.name)
      let subject = subjectClasses.filter(ctx.classHasInputPod)
      for direction in Direction.allCases {
        let rules = direction == .ingress ? anp.ingress : anp.egress
        for (r, rule) in rules.enumerated() {
          let ruleName = "\(anp.name) \(direction.rawValue.lowercased()) rule '\(rule.name)'"
          for (p, peer) in rule.peers.enumerated() {
            guard case .pods(let set) = peer else { continue }
            let (namespaces, pods): (LabelSelector, LabelSelector?) =
              switch set {
              case .namespaces(let ns): (ns, nil)
              case .pods(let ns, let pods): (ns, pods)
              }
            let nsList = index.namespaces(namespaces)
            if nsList.isEmpty {
              add(
                object, "\(ruleName): peer #\(p + 1)'s namespaces selector matches no namespace",
                "\(direction.rawValue)#\(r + 1)/peer#\(p + 1)/namespaces", rule.location)
            } else if !index.anyPod(in: nsList, matching: pods) {
              add(
                object, "\(ruleName): peer #\(p + 1) selects no pod",
                "\(direction.rawValue)#\(r + 1)/peer#\(p + 1)/pods", rule.location)
            }
          }
          // A named port (any protocol, as the admin policy API has it) is looked up on the
          // pods the policy selects (ingress) or the rule's peers select (egress).
          guard !subject.isEmpty else { continue }
          for port in rule.ports ?? [] {
            guard case .named(let name) = port else { continue }
            let candidates =
              direction == .ingress ? subject : peerClasses(.egress, r).filter(ctx.classHasInputPod)
            if !candidates.contains(where: { ctx.engine.declaresNamedPort(class: $0, name: name, protocol: nil) }) {
              let whose = direction == .ingress ? "pod the policy selects" : "pod the rule's peers select"
              add(
                object, "\(ruleName): named port \(name) is declared by no \(whose)",
                "\(direction.rawValue)#\(r + 1)/port/\(name)", rule.location)
            }
          }
        }
      }
    }
    return out
  }
}
