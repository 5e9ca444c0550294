import KubeModel

/// Decodes Istio PeerAuthentication, DestinationRule and AuthorizationPolicy (v1 and v1beta1).
/// Every field the mesh semantics read is kept as written, so the manifest writer can give it
/// back without inventing anything.
struct MeshDecoder {
  let context: DecodeContext
  let builder: ClusterBuilder

  func decode(_ object: YNode, kind: String) {
    guard let meta = context.metadata(object, kind: kind) else { return }
    let location = context.location(object)
    let ns = meta.namespace ?? "default"
    guard builder.register(kind: kind, namespace: ns, name: meta.name, at: location) else { return }
    let spec = context.mapping(object["spec"], "spec")
    switch kind {
    case "PeerAuthentication":
      let mode = tlsMode(context.mapping(spec?["mtls"], "spec.mtls")?["mode"], "spec.mtls.mode")
      var portModes: [Int: MutualTLSMode?] = [:]
      if let ports = context.mapping(spec?["portLevelMtls"], "spec.portLevelMtls") {
        for (key, value) in ports.pairs {
          guard let port = DecodeContext.parseInt(key.text), (1...65535).contains(port) else {
            context.error(
              .invalidPort, "spec.portLevelMtls: '\(key.text)' is not a port number", at: key)
            continue
          }
          let entry = context.mapping(value, "spec.portLevelMtls.\(key.text)")
          portModes[port] = tlsMode(entry?["mode"], "spec.portLevelMtls.\(key.text).mode")
        }
      }
      builder.add(
        peerAuthentication: PeerAuthentication(
          namespace: ns, name: meta.name, selector: context.istioSelector(object), mode: mode,
          portModes: portModes, creationTimestamp: meta.creationTimestamp, location: location))
    case "DestinationRule":
      let host = context.string(spec?["host"], "spec.host") ?? ""
      if host.isEmpty {
        context.error(.missingField, "DestinationRule has no spec.host", at: spec ?? object)
      }
      let policy = context.mapping(spec?["trafficPolicy"], "spec.trafficPolicy")
      let mode = clientMode(context.mapping(policy?["tls"], "spec.trafficPolicy.tls")?["mode"])
      var portModes: [Int: ClientTLSMode?] = [:]
      for item in context.list(policy?["portLevelSettings"], "spec.trafficPolicy.portLevelSettings")
        ?? []
      {
        guard let setting = context.mapping(item, "portLevelSettings[]"),
          let port = context.int(
            context.mapping(setting["port"], "portLevelSettings[].port")?["number"], "port.number")
        else { continue }
        portModes[port] = clientMode(
          context.mapping(setting["tls"], "portLevelSettings[].tls")?["mode"])
      }
      builder.add(
        destinationRule: DestinationRule(
          namespace: ns, name: meta.name, host: host, tlsMode: mode, portTLSModes: portModes,
          creationTimestamp: meta.creationTimestamp, location: location))
    default:
      authorizationPolicy(object, spec: spec, meta: meta, namespace: ns, location: location)
    }
  }

  /// A Gateway API Gateway whose `spec.gatewayClassName` is `istio-waypoint` (Gateways of other
  /// classes are skipped like any kind kubereach does not model).
  static func isWaypoint(_ object: YNode) -> Bool {
    guard let cls = object["spec"]?["gatewayClassName"], cls.isScalar else { return false }
    return cls.text == IstioLabel.waypointClass
  }

  /// An Istio waypoint: its name, namespace, class and `istio.io/waypoint-for` label.
  func decodeWaypoint(_ object: YNode) {
    guard let meta = context.metadata(object, kind: "Gateway") else { return }
    let location = context.location(object)
    let ns = meta.namespace ?? "default"
    guard builder.register(kind: "Gateway", namespace: ns, name: meta.name, at: location) else { return }
    let waypointFor = meta.labels[IstioLabel.waypointFor]
    if let value = waypointFor, WaypointTrafficType(rawValue: value) == nil {
      context.warning(
        .unknownWaypointFor,
        "Gateway '\(ns)/\(meta.name)': \(IstioLabel.waypointFor) '\(value)' is not one of service, workload, "
          + "all, none; read as service (Istio's default)",
        at: object)
    }
    builder.add(
      waypoint: WaypointGateway(
        namespace: ns, name: meta.name, waypointFor: waypointFor, allowedNamespaces: attachment(object),
        location: location))
  }

  /// `allowedRoutes.namespaces` of the HBONE listener on port 15008 (the listener Istio reads
  /// without a waypoint inbound binding); `Same` when there is no such listener or no field, and
  /// for an unknown `from`, as Istio does.
  private func attachment(_ object: YNode) -> WaypointAttachment {
    let spec = context.mapping(object["spec"], "spec")
    for item in context.list(spec?["listeners"], "spec.listeners") ?? [] {
      guard let listener = context.mapping(item, "spec.listeners[]"),
        context.string(listener["protocol"], "spec.listeners[].protocol") == "HBONE",
        context.int(listener["port"], "spec.listeners[].port") == 15008
      else { continue }
      let field = "spec.listeners[].allowedRoutes.namespaces"
      let routes = context.mapping(listener["allowedRoutes"], "spec.listeners[].allowedRoutes")
      guard let namespaces = context.mapping(routes?["namespaces"], field) else { return .same }
      switch context.string(namespaces["from"], "\(field).from") {
      case "All": return .all
      case "Selector":
        return .selector(context.labelSelector(namespaces["selector"], "\(field).selector") ?? LabelSelector())
      default: return .same
      }
    }
    return .same
  }

  private func tlsMode(_ node: YNode?, _ field: String) -> MutualTLSMode? {
    guard let node, !node.isNull, let text = context.string(node, field) else { return nil }
    if let mode = MutualTLSMode(rawValue: text) { return mode }
    context.error(.invalidValue, "\(field): unknown mTLS mode '\(text)'", at: node)
    return nil
  }

  private func clientMode(_ node: YNode?) -> ClientTLSMode? {
    guard let node, !node.isNull, let text = context.string(node, "tls.mode") else { return nil }
    if let mode = ClientTLSMode(rawValue: text) { return mode }
    context.error(.invalidValue, "tls.mode: unknown client TLS mode '\(text)'", at: node)
    return nil
  }

  private func targetRef(_ node: YNode, _ field: String) -> PolicyTargetReference? {
    guard let map = context.mapping(node, field) else { return nil }
    let kind = context.string(map["kind"], "\(field).kind") ?? ""
    let name = context.string(map["name"], "\(field).name") ?? ""
    if kind.isEmpty || name.isEmpty {
      context.error(.missingField, "\(field): kind and name are required", at: node)
      return nil
    }
    return PolicyTargetReference(
      group: context.string(map["group"], "\(field).group") ?? "", kind: kind, name: name,
      namespace: context.string(map["namespace"], "\(field).namespace"))
  }

  private func authorizationPolicy(
    _ object: YNode, spec: YNode?, meta: DecodeContext.Metadata, namespace: String,
    location: SourceLocation
  ) {
    var action = AuthorizationAction.allow
    if let node = spec?["action"], let text = context.string(node, "spec.action") {
      if let value = AuthorizationAction(rawValue: text) {
        action = value
      } else {
        context.error(.invalidValue, "spec.action: unknown action '\(text)'", at: node)
      }
    }
    var rules: [AuthorizationRule]?
    if let ruleNodes = context.list(spec?["rules"], "spec.rules") {
      rules = ruleNodes.map { rule($0, policyNamespace: namespace) }
    }
    var targets: [PolicyTargetReference] = []
    if let node = spec?["targetRef"], !node.isNull, let ref = targetRef(node, "spec.targetRef") {
      targets.append(ref)
    }
    for item in context.list(spec?["targetRefs"], "spec.targetRefs") ?? [] {
      if let ref = targetRef(item, "spec.targetRefs[]") { targets.append(ref) }
    }
    let provider = context.string(
      context.mapping(spec?["provider"], "spec.provider")?["name"], "spec.provider.name")
    builder.add(
      authorizationPolicy: AuthorizationPolicy(
        namespace: namespace, name: meta.name, selector: context.istioSelector(object),
        targetRefs: targets, action: action, provider: provider, rules: rules,
        creationTimestamp: meta.creationTimestamp, location: location))
  }

  private func rule(_ node: YNode, policyNamespace: String) -> AuthorizationRule {
    guard let map = context.mapping(node, "spec.rules[]") else { return AuthorizationRule() }
    var rule = AuthorizationRule()
    for item in context.list(map["from"], "spec.rules[].from") ?? [] {
      let source = context.mapping(context.mapping(item, "from[]")?["source"], "from[].source")
      func list(_ key: StaticString, _ name: String) -> [String]? {
        context.stringList(source?[key], "source.\(name)")
      }
      // A service account is `namespace/name`, or a bare name in the policy's namespace (as
      // Istio builds its principal matcher).
      func accounts(_ entries: [String]?) -> [String]? {
        entries.map { $0.map { $0.contains("/") ? $0 : "\(policyNamespace)/\($0)" } }
      }
      rule.from.append(
        AuthorizationSource(
          principals: list("principals", "principals"),
          notPrincipals: list("notPrincipals", "notPrincipals"),
          requestPrincipals: list("requestPrincipals", "requestPrincipals"),
          notRequestPrincipals: list("notRequestPrincipals", "notRequestPrincipals"),
          namespaces: list("namespaces", "namespaces"),
          notNamespaces: list("notNamespaces", "notNamespaces"),
          ipBlocks: list("ipBlocks", "ipBlocks"), notIpBlocks: list("notIpBlocks", "notIpBlocks"),
          remoteIpBlocks: list("remoteIpBlocks", "remoteIpBlocks"),
          notRemoteIpBlocks: list("notRemoteIpBlocks", "notRemoteIpBlocks"),
          serviceAccounts: accounts(list("serviceAccounts", "serviceAccounts")),
          notServiceAccounts: accounts(list("notServiceAccounts", "notServiceAccounts")),
          trustDomains: list("trustDomains", "trustDomains"),
          notTrustDomains: list("notTrustDomains", "notTrustDomains")))
      if let source, let added = rule.from.last {
        // The API server's validation: service accounts exclude principals and namespaces, and
        // each is a name or namespace/name.
        if (added.serviceAccounts != nil || added.notServiceAccounts != nil)
          && (added.principals != nil || added.notPrincipals != nil || added.namespaces != nil
            || added.notNamespaces != nil)
        {
          context.error(
            .invalidValue, "from[].source: serviceAccounts cannot be set with namespaces or principals",
            at: source)
        }
        for entry in (added.serviceAccounts ?? []) + (added.notServiceAccounts ?? [])
        where entry.split(separator: "/", omittingEmptySubsequences: false).count != 2
          || entry.hasPrefix("/") || entry.hasSuffix("/")
        {
          context.error(
            .invalidValue,
            "from[].source: service account '\(entry)' must be a name or namespace/name",
            at: source)
        }
      }
    }
    for item in context.list(map["to"], "spec.rules[].to") ?? [] {
      let operation = context.mapping(context.mapping(item, "to[]")?["operation"], "to[].operation")
      func list(_ key: StaticString, _ name: String) -> [String]? {
        context.stringList(operation?[key], "operation.\(name)")
      }
      rule.to.append(
        AuthorizationOperation(
          hosts: list("hosts", "hosts"), notHosts: list("notHosts", "notHosts"),
          ports: list("ports", "ports"), notPorts: list("notPorts", "notPorts"),
          methods: list("methods", "methods"), notMethods: list("notMethods", "notMethods"),
          paths: list("paths", "paths"), notPaths: list("notPaths", "notPaths")))
    }
    for item in context.list(map["when"], "spec.rules[].when") ?? [] {
      guard let condition = context.mapping(item, "when[]") else { continue }
      let key = context.string(condition["key"], "when[].key") ?? ""
      if key.isEmpty {
        context.error(.missingField, "spec.rules[].when[]: key is required", at: item)
        continue
      }
      rule.when.append(
        AuthorizationCondition(
          key: key, values: context.stringList(condition["values"], "when[].values"),
          notValues: context.stringList(condition["notValues"], "when[].notValues")))
    }
    return rule
  }
}
