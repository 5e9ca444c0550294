import Analysis
import KubeModel
import Reachability

/// A check over a compiled cluster. Mesh checks (issue 11) plug in as further conformers listed
/// in `BuiltinChecks.all`; they read the same `CheckContext`.
public protocol ClusterCheck: Sendable {
  /// The IDs this check reports under.
  var descriptors: [CheckDescriptor] { get }
  /// Its findings, with default severities.
  func findings(in context: CheckContext) -> [Finding]
}

/// The built-in checks, in the order they run.
public enum BuiltinChecks {
  public static let all: [any ClusterCheck] = [
    ExternalExposureCheck(), ReachableFromInternetCheck(), ReachableFromAllNamespacesCheck(), DNSBlockedCheck(),
    NamespaceDefaultDenyCheck(), WorkloadIsolationCheck(), PolicySelectsNothingCheck(), RuleNeverMatchesCheck(),
    PolicyShadowedCheck(), HostNetworkCheck(), MeshPlaintextCheck(), MeshPlaintextIntoStrictCheck(),
    MeshTransportRejectsCheck(),
    MeshPrincipalNeverMatchesCheck(),
  ]

  /// Every descriptor of every built-in check, by ID.
  public static var descriptors: [CheckDescriptor] { all.flatMap(\.descriptors).sorted { $0.id < $1.id } }
}

/// The rule that decided an explained direction (admin rule, NetworkPolicy rule, baseline rule),
/// or the first selecting NetworkPolicy when it denied.
func decidingLocation(_ explanation: PairExplanation, _ direction: Direction, allowed: Bool) -> (
  String, SourceLocation
)? {
  for segment in explanation.segments where allowed ? segment.allowed : true {
    let d = direction == .ingress ? segment.ingress : segment.egress
    guard d.allowed == allowed else { continue }
    if let rule = d.adminRules.last { return (rule.describe, rule.location) }
    if allowed, let rule = d.allowingRules.first { return (rule.describe, rule.location) }
    if let rule = d.baselineRule { return (rule.describe, rule.location) }
    if !allowed, let policy = d.unmatchedPolicies.first?.policy {
      return ("\(policy.kind) \(policy.policy)", policy.location)
    }
  }
  return nil
}

extension RuleRef {
  /// `NetworkPolicy shop/db ingress rule #1`.
  var describe: String {
    let name = ruleName.isEmpty ? "#\(ruleIndex + 1)" : "'\(ruleName)'"
    return "\(kind) \(policy) \(direction.rawValue.lowercased()) rule \(name)"
  }
}

/// The reason given when policies select a workload but none of their rules decides a flow.
let systemDefault = " (policies select it, but no rule of theirs matches: the system default allows)"

/// `ns/name` of a workload.
func shortName(_ w: Workload) -> String { "\(w.namespace)/\(w.name)" }

/// A port list as `TCP 80,UDP 53`.
func portsText(_ set: ConnectionSet) -> String { set.isAll ? "all ports" : set.description }

// MARK: exposure

/// A workload behind a LoadBalancer or NodePort Service, an Ingress or a Route whose ingress
/// rules let sources outside the cluster in.
struct ExternalExposureCheck: ClusterCheck {
  static let id = "external-exposure"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Workload reachable from outside the cluster", defaultSeverity: .error,
        help:
          "A LoadBalancer or NodePort Service, an Ingress or a Route forwards outside traffic to this workload and its ingress rules let it in on these ports. If it is not meant to be public, make the Service ClusterIP, remove the Ingress/Route, or narrow the ingress rules (ipBlock, ingress-controller namespace); if it is, accept the finding in the rules file."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    var out: [Finding] = []
    for service in ctx.input.services where service.type == .loadBalancer || service.type == .nodePort {
      guard let selector = service.selector.map({ LabelSelector(matchLabels: $0) }) else { continue }
      var perWorkload: [Int: ConnectionSet] = [:]
      for (w, pods) in ctx.workloadClassPods.enumerated() {
        for pod in pods {
          let p = ctx.input.pods[pod]
          guard p.namespace == service.namespace, selector.matches(p.labels),
            let open = ctx.fromSomeExternal[ctx.engine.podClass(pod)]
          else { continue }
          var ports: [TransportProtocol: [PortRange]] = [:]
          for sp in service.ports {
            switch sp.targetPort {
            case .number(let n): ports[sp.protocol, default: []].append(PortRange(n, n))
            case .name(let name):
              if let cp = p.ports.first(where: { $0.name == name && $0.protocol == sp.protocol }) {
                ports[sp.protocol, default: []].append(PortRange(cp.port, cp.port))
              }
            }
          }
          let reached = open.intersection(ConnectionSet(ports))
          if !reached.isEmpty { perWorkload[w, default: .none] = perWorkload[w, default: .none].union(reached) }
        }
      }
      for (w, ports) in perWorkload {
        let workload = ctx.input.workloads[w]
        out.append(
          Finding(
            check: Self.id, severity: .error,
            message:
              "\(shortName(workload)) is reachable from outside the cluster through \(service.type.rawValue) Service \(service.namespace)/\(service.name) on \(portsText(ports))",
            object: CheckContext.object(workload), detail: "Service/\(service.namespace)/\(service.name)",
            location: service.location))
      }
    }
    if ctx.ingressController != nil {
      for (w, pods) in ctx.workloadClassPods.enumerated() {
        var byObject: [String: (IngressForward, ConnectionSet)] = [:]
        for pod in pods {
          guard let open = ctx.fromIngressController[ctx.engine.podClass(pod)] else { continue }
          for forward in IngressControllerStandIn.forwards(cluster: ctx.input, to: pod) {
            let reached = open.intersection(forward.ports)
            guard !reached.isEmpty else { continue }
            let key = "\(forward.kind)/\(forward.name)"
            byObject[key] = (forward, (byObject[key]?.1 ?? .none).union(reached))
          }
        }
        let workload = ctx.input.workloads[w]
        for (key, (forward, ports)) in byObject {
          out.append(
            Finding(
              check: Self.id, severity: .error,
              message:
                "\(shortName(workload)) is reachable from outside the cluster through \(forward.kind) \(forward.name) (Service \(forward.service)) on \(portsText(ports))",
              object: CheckContext.object(workload), detail: key, location: forward.location))
        }
      }
    }
    return out
  }
}

/// A workload whose ingress rules let every IPv4 address in (an ipBlock such as 0.0.0.0/0).
struct ReachableFromInternetCheck: ClusterCheck {
  static let id = "reachable-from-internet"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Workload reachable from 0.0.0.0/0", defaultSeverity: .error,
        help:
          "A policy isolates this workload but one of its ingress rules (an ipBlock like 0.0.0.0/0, or an admin rule) lets every external address in. Narrow the ipBlock to the addresses that need access (a load balancer range, a partner network)."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    let first = ctx.engine.externalRanges.first { $0.family == .v4 } ?? IPRange.all(.v4)
    return openIngressFindings(
      ctx, check: Self.id, severity: .error, open: ctx.fromEveryExternal, source: .external(first),
      phrase: "accepts connections from every address (0.0.0.0/0)")
  }
}

/// A workload that a pod of any namespace, even one created later, may reach.
struct ReachableFromAllNamespacesCheck: ClusterCheck {
  static let id = "reachable-from-all-namespaces"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Workload reachable from every namespace", defaultSeverity: .warning,
        help:
          "A policy isolates this workload but a rule (namespaceSelector: {} or a selector every namespace matches) lets pods of every namespace in, including namespaces created later. Select the namespaces that need access by label."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    openIngressFindings(
      ctx, check: Self.id, severity: .warning, open: ctx.fromOutsider, source: .pod(ctx.outsiderPod),
      phrase: "accepts connections from pods of every namespace")
  }
}

/// One finding per workload whose classes `open` lets in while some tier selects them on
/// ingress, naming the rule that decides for one of its pods when `source` connects.
func openIngressFindings(
  _ ctx: CheckContext, check: String, severity: Severity, open: [ConnectionSet?], source: Peer, phrase: String
) -> [Finding] {
  var out: [Finding] = []
  for (w, pods) in ctx.workloadClassPods.enumerated() {
    var ports = ConnectionSet.none
    var witness: Int?
    for pod in pods {
      let cls = ctx.engine.podClass(pod)
      guard let conns = open[cls], !ctx.engine.isolation(ofClass: cls, direction: .ingress).isUnprotected else {
        continue
      }
      ports = ports.union(conns)
      witness = witness ?? pod
    }
    guard let pod = witness else { continue }
    let workload = ctx.input.workloads[w]
    let why = decidingLocation(ctx.engine.explain(from: source, to: .pod(pod)), .ingress, allowed: true)
    out.append(
      Finding(
        check: check, severity: severity,
        message: "\(shortName(workload)) \(phrase) on \(portsText(ports))"
          + (why.map { " (\($0.0))" } ?? systemDefault),
        object: CheckContext.object(workload), location: why?.1 ?? workload.location))
  }
  return out
}

// MARK: DNS

/// A workload whose egress is governed by policies that let it reach no cluster DNS server.
struct DNSBlockedCheck: ClusterCheck {
  static let id = "dns-blocked"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Egress policy blocks DNS", defaultSeverity: .error,
        help:
          "An egress policy selects this workload and no rule lets it reach the cluster DNS (the kube-dns Service's pods, or pods labelled k8s-app=kube-dns in kube-system) on its DNS ports, so name lookups fail. Add an egress rule to namespaceSelector kubernetes.io/metadata.name=kube-system, podSelector k8s-app=kube-dns, ports UDP and TCP 53."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    var out: [Finding] = []
    let servers = ctx.dns.servers.map { (pod: $0.pod, cls: ctx.engine.podClass($0.pod), ports: $0.ports) }
    let serverClasses = Set(servers.map(\.cls))
    let where_ =
      ctx.dnsAssumed
      ? " (the input has no cluster DNS; assumed pods labelled k8s-app=kube-dns in kube-system on UDP/TCP 53)" : ""
    // The denying policy per class: workloads of one class share it.
    var reasons: [Int: (String, SourceLocation)?] = [:]
    for (w, pods) in ctx.workloadClassPods.enumerated() {
      for pod in pods {
        let cls = ctx.engine.podClass(pod)
        if serverClasses.contains(cls) { continue }
        let isolation = ctx.engine.isolation(ofClass: cls, direction: .egress)
        if isolation.isUnprotected { continue }
        let reaches = servers.contains { server in
          guard let conns = ctx.toDNS[cls][server.cls] else { return false }
          let udp = server.ports.filter { $0.protocol == .udp }
          return (udp.isEmpty ? server.ports : udp).contains { conns.contains($0.protocol, $0.port) }
        }
        if reaches { continue }
        let workload = ctx.input.workloads[w]
        let server = servers[0]
        if reasons[cls] == nil {
          reasons[cls] = .some(
            decidingLocation(ctx.engine.explain(from: .pod(pod), to: .pod(server.pod)), .egress, allowed: false))
        }
        let why = reasons[cls] ?? nil
        let dnsName =
          ctx.dnsStandIn.map { "\($0.namespace)/\($0.name)" }
          ?? shortName(ctx.input.workloads[ctx.input.pods[server.pod].workload])
        let portList = server.ports.map { "\($0.protocol.rawValue) \($0.port)" }.joined(separator: ", ")
        out.append(
          Finding(
            check: Self.id, severity: .error,
            message:
              "\(shortName(workload)) cannot reach the cluster DNS (\(dnsName) on \(portList))"
              + (why.map { ": \($0.0) selects it and no rule allows DNS" } ?? "") + where_,
            object: CheckContext.object(workload), location: why?.1 ?? workload.location))
        break
      }
    }
    return out
  }
}

// MARK: isolation

/// A namespace where a new pod would not be isolated: no default-deny policy in a direction.
struct NamespaceDefaultDenyCheck: ClusterCheck {
  static let id = "namespace-no-default-deny"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Namespace without default-deny", defaultSeverity: .warning,
        help:
          "No NetworkPolicy with podSelector: {} isolates this namespace in this direction (and no admin policy denies by default), so a new workload there is open until someone writes a policy for it. Add a default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress, Egress])."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    var out: [Finding] = []
    let declared = Dictionary(ctx.input.namespaces.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    var firstWorkload: [String: Workload] = [:]
    for w in ctx.input.workloads where firstWorkload[w.namespace] == nil { firstWorkload[w.namespace] = w }
    for (ns, probe) in ctx.namespaceProbes.sorted(by: { $0.key < $1.key }) {
      let cls = ctx.engine.podClass(probe)
      for direction in Direction.allCases {
        if ctx.engine.isolation(ofClass: cls, direction: direction).isIsolated { continue }
        let open = direction == .ingress ? ctx.fromOutsider[cls] : ctx.toOutsider[cls]
        guard open != nil else { continue }
        let location = declared[ns].flatMap { $0.declared ? $0.location : nil } ?? firstWorkload[ns]?.location
        out.append(
          Finding(
            check: Self.id, severity: .warning,
            message:
              "namespace \(ns) has no default-deny \(direction.rawValue) policy: a new pod there is not isolated",
            object: ObjectRef(kind: "Namespace", namespace: "", name: ns), detail: direction.rawValue,
            location: location))
      }
    }
    return out
  }
}

/// A workload that no policy of any tier selects in a direction.
struct WorkloadIsolationCheck: ClusterCheck {
  static let id = "workload-not-isolated"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Workload not isolated", defaultSeverity: .warning,
        help:
          "No NetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy selects this workload in this direction, so every connection is allowed by the system default. Add a default-deny policy for its namespace and allow what it needs."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    var out: [Finding] = []
    for (w, classes) in ctx.workloadClasses.enumerated() where !classes.isEmpty {
      let workload = ctx.input.workloads[w]
      for direction in Direction.allCases
      where classes.contains(where: { ctx.engine.isolation(ofClass: $0, direction: direction).isUnprotected }) {
        out.append(
          Finding(
            check: Self.id, severity: .warning,
            message: "\(shortName(workload)) is not isolated on \(direction.rawValue): no policy selects it",
            object: CheckContext.object(workload), detail: direction.rawValue, location: workload.location))
      }
    }
    return out
  }
}

// MARK: policies

/// Policy identities and locations by the engine's `PolicyRef`.
func policyObject(_ ref: PolicyRef) -> ObjectRef {
  let parts = ref.policy.split(separator: "/", maxSplits: 1).map(String.init)
  return parts.count == 2
    ? ObjectRef(kind: ref.kind, namespace: parts[0], name: parts[1])
    : ObjectRef(kind: ref.kind, namespace: "", name: ref.policy)
}

/// A policy whose subject holds no pod of the input.
struct PolicySelectsNothingCheck: ClusterCheck {
  static let id = "policy-selects-nothing"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Policy selects no pod", defaultSeverity: .warning,
        help:
          "The policy's podSelector (or subject) matches no pod in the input, so it protects nothing: often a typo in a label or the wrong namespace. Fix the selector or delete the policy."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    var out: [Finding] = []
    for (i, np) in ctx.input.networkPolicies.enumerated()
    where !ctx.engine.subjectClasses(networkPolicy: i).contains(where: ctx.classHasInputPod) {
      out.append(
        Finding(
          check: Self.id, severity: .warning, message: "NetworkPolicy \(np.namespace)/\(np.name) selects no pod",
          object: ObjectRef(kind: "NetworkPolicy", namespace: np.namespace, name: np.name), location: np.location))
    }
    for (i, anp) in ctx.input.adminNetworkPolicies.enumerated()
    where !ctx.engine.subjectClasses(adminNetworkPolicy: i).contains(where: ctx.classHasInputPod) {
      out.append(
        Finding(
          check: Self.id, severity: .warning, message: "AdminNetworkPolicy \(anp.name) selects no pod",
          object: ObjectRef(kind: anp.kindName, namespace: "", name: anp.name), location: anp.location))
    }
    if let banp = ctx.input.baselineAdminNetworkPolicies.first,
      !ctx.engine.baselineSubjectClasses.contains(where: ctx.classHasInputPod)
    {
      out.append(
        Finding(
          check: Self.id, severity: .warning, message: "BaselineAdminNetworkPolicy \(banp.name) selects no pod",
          object: ObjectRef(kind: banp.kindName, namespace: "", name: banp.name), location: banp.location))
    }
    return out
  }
}

/// A policy whose removal would change no verdict: other policies already allow all it allows.
struct PolicyShadowedCheck: ClusterCheck {
  static let id = "policy-shadowed"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "Policy fully shadowed", defaultSeverity: .warning,
        help:
          "Removing this policy would change no allowed or denied connection: other policies already select the same pods and allow everything it allows (or higher tiers decide first). Delete it, or fix it if it was meant to do something else."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    ctx.engine.policiesChangingNothing().compactMap { redundant in
      let object = policyObject(redundant.policy)
      let selectsInput: Bool
      switch redundant.policy.kind {
      case "NetworkPolicy":
        let index = ctx.input.networkPolicies.firstIndex {
          $0.namespace == object.namespace && $0.name == object.name
        }
        selectsInput =
          index.map { ctx.engine.subjectClasses(networkPolicy: $0).contains(where: ctx.classHasInputPod) } ?? false
      case "AdminNetworkPolicy":
        let index = ctx.input.adminNetworkPolicies.firstIndex { $0.name == object.name }
        selectsInput =
          index.map { ctx.engine.subjectClasses(adminNetworkPolicy: $0).contains(where: ctx.classHasInputPod) } ?? false
      default:
        selectsInput = ctx.engine.baselineSubjectClasses.contains(where: ctx.classHasInputPod)
      }
      guard selectsInput else { return nil }
      let cover = redundant.coveredBy.prefix(3).map(\.policy).joined(separator: ", ")
      return Finding(
        check: Self.id, severity: .warning,
        message:
          "\(redundant.policy.kind) \(redundant.policy.policy) changes nothing: removing it leaves every verdict as is"
          + (cover.isEmpty
            ? "" : " (other policies selecting its pods: \(cover)\(redundant.coveredBy.count > 3 ? ", ..." : ""))"),
        object: object, location: redundant.policy.location)
    }
  }
}

/// Workloads with host-network pods: outside pod-selector policies.
struct HostNetworkCheck: ClusterCheck {
  static let id = "host-network"
  var descriptors: [CheckDescriptor] {
    [
      CheckDescriptor(
        id: Self.id, title: "hostNetwork pod outside policy control", defaultSeverity: .note,
        help:
          "Pods with hostNetwork: true use the node's network; most CNIs do not apply pod-selector policies to them, so the verdicts shown for them may not hold. Avoid hostNetwork, or protect the node with host firewall rules."
      )
    ]
  }

  func findings(in ctx: CheckContext) -> [Finding] {
    var seen = Set<Int>()
    var out: [Finding] = []
    for pod in ctx.input.pods where pod.hostNetwork && seen.insert(pod.workload).inserted {
      let workload = ctx.input.workloads[pod.workload]
      out.append(
        Finding(
          check: Self.id, severity: .note,
          message: "\(shortName(workload)) runs with hostNetwork: NetworkPolicies may not apply to it",
          object: CheckContext.object(workload), location: workload.location))
    }
    return out
  }
}
