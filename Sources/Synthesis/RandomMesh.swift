import KubeModel

/// Random Istio settings over a random cluster, for the mesh property test: injection,
/// revision and ambient labels, inject labels and annotations, injected pods, service accounts,
/// Services with HTTP, TCP and unnamed ports, and PeerAuthentications, DestinationRules and
/// AuthorizationPolicies over a tiny vocabulary (so that they often apply), and waypoints:
/// `istio.io/use-waypoint` (and `-namespace`) on namespaces, Services and pods, and waypoint
/// Gateways with every `istio.io/waypoint-for` (absent, service, workload, all, none) and
/// listener `allowedRoutes` (Same, All, a namespace selector), some of them missing from the input.
public enum RandomMesh {
  static let accounts = ["default", "sa1", "sa2"]
  static let portNames = ["http", "tcp", "web", "grpc-x", "tls"]
  static let ports = [53, 80, 443, 8080, 9090, 5432]

  /// Adds mesh settings to `cluster`, the same for the same seed.
  public static func add(to cluster: inout Cluster, seed: UInt64) {
    var rng = SplitMix64(seed: seed ^ 0x5eed_6d65)
    let loc = SourceLocation.synthetic("mesh-\(seed)")
    let root = "istio-system"
    var names = cluster.namespaces.map(\.name)
    if rng.chance(0.5) {
      cluster.namespaces.append(Namespace(name: root, location: loc))
      names.append(root)
    }
    for i in cluster.namespaces.indices {
      switch rng.below(6) {
      case 0: cluster.namespaces[i].labels[IstioLabel.injection] = "enabled"
      case 1: cluster.namespaces[i].labels[IstioLabel.injection] = "disabled"
      case 2: cluster.namespaces[i].labels[IstioLabel.revision] = "canary"
      case 3, 4: cluster.namespaces[i].labels[IstioLabel.dataplaneMode] = "ambient"
      default: break
      }
      if rng.chance(0.35) { waypointLabels(&cluster.namespaces[i].labels, &rng, names: names) }
    }
    for i in cluster.pods.indices {
      cluster.pods[i].serviceAccount = rng.pick(accounts)
      switch rng.below(8) {
      case 0: cluster.pods[i].labels[IstioLabel.inject] = "true"
      case 1: cluster.pods[i].labels[IstioLabel.inject] = "false"
      case 2: cluster.pods[i].annotations[IstioLabel.inject] = "true"
      case 3: cluster.pods[i].containers = ["app", IstioLabel.proxyContainer]
      case 4: cluster.pods[i].labels[IstioLabel.dataplaneMode] = rng.chance(0.5) ? "ambient" : "none"
      default: break
      }
      if rng.chance(0.15) { waypointLabels(&cluster.pods[i].labels, &rng, names: names) }
    }
    let appValues = ["a", "b", "c"]
    for i in 0..<rng.below(6) {
      let ns = rng.pick(names)
      var svcPorts: [ServicePort] = []
      for _ in 0..<rng.inRange(1...2) {
        let port = rng.pick(ports)
        svcPorts.append(
          ServicePort(
            name: rng.chance(0.8) ? rng.pick(portNames) : nil, port: port + (rng.chance(0.3) ? 1000 : 0),
            targetPort: .number(port), appProtocol: rng.chance(0.2) ? "http" : nil))
      }
      var labels: [String: String] = [:]
      if rng.chance(0.45) { waypointLabels(&labels, &rng, names: names) }
      cluster.services.append(
        Service(
          namespace: ns, name: "s\(i)", selector: ["app": rng.pick(appValues)], ports: svcPorts, labels: labels,
          location: loc))
    }
    // Waypoint Gateways named wp and wp2 in some namespaces, with every traffic type.
    for ns in names {
      for name in waypointNames where rng.chance(0.6) {
        let attachment: WaypointAttachment
        switch rng.below(4) {
        case 0: attachment = .all
        case 1:
          attachment = .selector(LabelSelector(matchLabels: [namespaceNameLabel: rng.pick(names)]))
        default: attachment = .same
        }
        cluster.waypoints.append(
          WaypointGateway(
            namespace: ns, name: name, waypointFor: rng.pick([nil, "service", "workload", "all", "none"]),
            allowedNamespaces: attachment, location: loc))
      }
    }
    func selector() -> [String: String]? { rng.chance(0.5) ? ["app": rng.pick(appValues)] : nil }
    let modes: [MutualTLSMode?] = [nil, .unset, .disable, .permissive, .strict]
    for i in 0..<rng.below(4) {
      var portModes: [Int: MutualTLSMode?] = [:]
      if rng.chance(0.4) { portModes[rng.pick(ports)] = rng.pick(modes) }
      cluster.peerAuthentications.append(
        PeerAuthentication(
          namespace: rng.pick(names), name: "pa\(i)", selector: selector(), mode: rng.pick(modes),
          portModes: portModes, creationTimestamp: rng.chance(0.5) ? "2024-0\(rng.inRange(1...9))-01T00:00:00Z" : nil,
          location: loc))
    }
    let tlsModes: [ClientTLSMode?] = [nil, .disable, .istioMutual, .simple]
    for i in 0..<rng.below(3) {
      let host: String
      let svc = cluster.services.isEmpty ? nil : rng.pick(cluster.services)
      switch rng.below(4) {
      case 0: host = svc.map { "\($0.name).\($0.namespace)" } ?? "x.y"
      case 1: host = svc.map { "\($0.name).\($0.namespace).svc.cluster.local" } ?? "x"
      case 2: host = svc?.name ?? "x"
      default: host = "*.\(rng.pick(names)).svc.cluster.local"
      }
      var portModes: [Int: ClientTLSMode?] = [:]
      if rng.chance(0.3), let p = svc?.ports.first?.port { portModes[p] = rng.pick(tlsModes) }
      cluster.destinationRules.append(
        DestinationRule(
          namespace: rng.pick(names), name: "dr\(i)", host: host, tlsMode: rng.pick(tlsModes),
          portTLSModes: portModes, location: loc))
    }
    let actions: [AuthorizationAction] = [.allow, .allow, .deny, .audit, .custom]
    for i in 0..<rng.below(4) {
      var rules: [AuthorizationRule]? = nil
      if rng.chance(0.85) {
        rules = (0..<rng.below(3)).map { _ in randomRule(&rng, names: names) }
      }
      var targetRefs: [PolicyTargetReference] = []
      if rng.chance(0.3) {
        targetRefs = [
          rng.chance(0.5)
            ? PolicyTargetReference(kind: "Gateway", name: rng.pick(waypointNames))
            : PolicyTargetReference(kind: "Service", name: "s\(rng.below(6))")
        ]
      }
      cluster.authorizationPolicies.append(
        AuthorizationPolicy(
          namespace: rng.pick(names), name: "ap\(i)", selector: targetRefs.isEmpty ? selector() : nil,
          targetRefs: targetRefs, action: rng.pick(actions), rules: rules, location: loc))
    }
  }

  static let waypointNames = ["wp", "wp2"]

  /// `istio.io/use-waypoint` (a waypoint name or `none`), sometimes with
  /// `istio.io/use-waypoint-namespace`.
  static func waypointLabels(_ labels: inout [String: String], _ rng: inout SplitMix64, names: [String]) {
    labels[IstioLabel.useWaypoint] = rng.pick(waypointNames + ["none"])
    if rng.chance(0.5) { labels[IstioLabel.useWaypointNamespace] = rng.pick(names) }
  }

  static func randomRule(_ rng: inout SplitMix64, names: [String]) -> AuthorizationRule {
    var rule = AuthorizationRule()
    // Waypoint identities too (a ztunnel behind a waypoint sees the waypoint's).
    let principals =
      (accounts + waypointNames).map { "cluster.local/ns/\(names[0])/sa/\($0)" } + [
        "*", "cluster.local/ns/*", "*/sa/wp", "*/sa/wp2",
      ]
    for _ in 0..<rng.below(3) {
      var s = AuthorizationSource()
      switch rng.below(9) {
      case 0: s.principals = [rng.pick(principals)]
      case 1: s.notPrincipals = [rng.pick(principals)]
      case 2: s.namespaces = [rng.pick(names)]
      case 3: s.notNamespaces = [rng.pick(names)]
      case 4: s.ipBlocks = [rng.pick(["10.0.0.0/8", "10.1.0.0/16", "192.168.0.0/16"])]
      case 5:
        let account = "\(rng.pick(names))/\(rng.pick(accounts + waypointNames))"
        if rng.chance(0.5) { s.serviceAccounts = [account] } else { s.notServiceAccounts = [account] }
      case 6:
        let domain = rng.pick(["cluster.local", "cluster.*", "other.local"])
        if rng.chance(0.5) { s.trustDomains = [domain] } else { s.notTrustDomains = [domain] }
      default: s.requestPrincipals = ["*"]
      }
      if rng.chance(0.2) { s.notIpBlocks = ["10.1.2.0/24"] }
      rule.from.append(s)
    }
    for _ in 0..<rng.below(3) {
      var o = AuthorizationOperation()
      switch rng.below(4) {
      case 0: o.ports = [String(rng.pick(ports))]
      case 1: o.notPorts = [String(rng.pick(ports))]
      case 2: o.methods = ["GET"]
      default: o.paths = ["/x"]
      }
      rule.to.append(o)
    }
    for _ in 0..<rng.below(2) {
      switch rng.below(5) {
      case 0: rule.when.append(AuthorizationCondition(key: "source.namespace", values: [rng.pick(names)]))
      case 1: rule.when.append(AuthorizationCondition(key: "destination.port", notValues: [String(rng.pick(ports))]))
      case 2: rule.when.append(AuthorizationCondition(key: "source.ip", values: ["10.1.0.0/16"]))
      case 3:
        rule.when.append(
          AuthorizationCondition(key: "source.principal", values: ["cluster.local/ns/\(names[0])/sa/sa1"]))
      default: rule.when.append(AuthorizationCondition(key: "request.headers[x]", values: ["y"]))
      }
    }
    return rule
  }
}
