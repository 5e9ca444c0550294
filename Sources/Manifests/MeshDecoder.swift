import KubeModel

/// Decodes Istio PeerAuthentication, DestinationRule and AuthorizationPolicy (v1 and v1beta1).
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
      let mode =
        tlsMode(context.mapping(spec?["mtls"], "spec.mtls")?["mode"], "spec.mtls.mode") ?? .unset
      var portModes: [Int: MutualTLSMode] = [:]
      if let ports = context.mapping(spec?["portLevelMtls"], "spec.portLevelMtls") {
        for (key, value) in ports.pairs {
          guard let port = DecodeContext.parseInt(key.text), (1...65535).contains(port) else {
            context.error(
              "invalid-port", "spec.portLevelMtls: '\(key.text)' is not a port number", at: key)
            continue
          }
          let entry = context.mapping(value, "spec.portLevelMtls.\(key.text)")
          portModes[port] = tlsMode(entry?["mode"], "spec.portLevelMtls.\(key.text).mode") ?? .unset
        }
      }
      builder.add(
        peerAuthentication: PeerAuthentication(
          namespace: ns, name: meta.name, selector: context.istioSelector(object), mode: mode,
          portModes: portModes,
          location: location))
    case "DestinationRule":
      let host = context.string(spec?["host"], "spec.host") ?? ""
      let policy = context.mapping(spec?["trafficPolicy"], "spec.trafficPolicy")
      let mode = clientMode(context.mapping(policy?["tls"], "spec.trafficPolicy.tls")?["mode"])
      var portModes: [Int: ClientTLSMode] = [:]
      for item in context.list(policy?["portLevelSettings"], "spec.trafficPolicy.portLevelSettings")
        ?? []
      {
        guard let setting = context.mapping(item, "portLevelSettings[]"),
          let port = context.int(
            context.mapping(setting["port"], "portLevelSettings[].port")?["number"], "port.number"),
          let tls = clientMode(context.mapping(setting["tls"], "portLevelSettings[].tls")?["mode"])
        else { continue }
        portModes[port] = tls
      }
      builder.add(
        destinationRule: DestinationRule(
          namespace: ns, name: meta.name, host: host, tlsMode: mode, portTLSModes: portModes,
          location: location))
    default:
      authorizationPolicy(object, spec: spec, meta: meta, namespace: ns, location: location)
    }
  }

  private func tlsMode(_ node: YNode?, _ field: String) -> MutualTLSMode? {
    guard let node, let text = context.string(node, field) else { return nil }
    if let mode = MutualTLSMode(rawValue: text) { return mode }
    context.error("invalid-value", "\(field): unknown mTLS mode '\(text)'", at: node)
    return nil
  }

  private func clientMode(_ node: YNode?) -> ClientTLSMode? {
    guard let node, let text = context.string(node, "tls.mode") else { return nil }
    if let mode = ClientTLSMode(rawValue: text) { return mode }
    context.error("invalid-value", "tls.mode: unknown client TLS mode '\(text)'", at: node)
    return nil
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
        context.error("invalid-value", "spec.action: unknown action '\(text)'", at: node)
      }
    }
    var rules: [AuthorizationRule]?
    if let ruleNodes = context.list(spec?["rules"], "spec.rules") {
      rules = ruleNodes.map(rule)
    }
    builder.add(
      authorizationPolicy: AuthorizationPolicy(
        namespace: namespace, name: meta.name, selector: context.istioSelector(object),
        action: action, rules: rules,
        location: location))
  }

  private func rule(_ node: YNode) -> AuthorizationRule {
    guard let map = context.mapping(node, "spec.rules[]") else { return AuthorizationRule() }
    var rule = AuthorizationRule()
    for item in context.list(map["from"], "spec.rules[].from") ?? [] {
      let source = context.mapping(context.mapping(item, "from[]")?["source"], "from[].source")
      let list = { (key: StaticString, name: String) in
        context.stringList(source?[key], "source.\(name)")
      }
      rule.from.append(
        AuthorizationSource(
          principals: list("principals", "principals"),
          notPrincipals: list("notPrincipals", "notPrincipals"),
          namespaces: list("namespaces", "namespaces"),
          notNamespaces: list("notNamespaces", "notNamespaces"),
          ipBlocks: list("ipBlocks", "ipBlocks") ?? list("remoteIpBlocks", "remoteIpBlocks"),
          notIpBlocks: list("notIpBlocks", "notIpBlocks")
            ?? list("notRemoteIpBlocks", "notRemoteIpBlocks"),
          usesHTTPFields: source?["requestPrincipals"] != nil
            || source?["notRequestPrincipals"] != nil))
    }
    for item in context.list(map["to"], "spec.rules[].to") ?? [] {
      let operation = context.mapping(context.mapping(item, "to[]")?["operation"], "to[].operation")
      let http: [StaticString] = [
        "hosts", "notHosts", "methods", "notMethods", "paths", "notPaths",
      ]
      rule.to.append(
        AuthorizationOperation(
          ports: context.stringList(operation?["ports"], "operation.ports"),
          notPorts: context.stringList(operation?["notPorts"], "operation.notPorts"),
          usesHTTPFields: http.contains { operation?[$0] != nil }))
    }
    rule.hasConditions = !(context.list(map["when"], "spec.rules[].when") ?? []).isEmpty
    return rule
  }
}
