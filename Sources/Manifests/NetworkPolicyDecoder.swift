import KubeModel

/// Decodes and validates a NetworkPolicy (networking.k8s.io/v1).
struct NetworkPolicyDecoder {
  let context: DecodeContext
  let builder: ClusterBuilder

  func decode(_ object: YNode) {
    guard let meta = context.metadata(object, kind: "NetworkPolicy") else { return }
    let location = context.location(object)
    let ns = meta.namespace ?? "default"
    guard builder.register(kind: "NetworkPolicy", namespace: ns, name: meta.name, at: location)
    else { return }
    let spec = context.mapping(object["spec"], "spec")
    let podSelector = context.labelSelector(spec?["podSelector"], "spec.podSelector") ?? .everything
    let ingress = rules(spec?["ingress"], field: "spec.ingress", peersKey: "from", egress: false)
    let egress = rules(spec?["egress"], field: "spec.egress", peersKey: "to", egress: true)

    var types = NetworkPolicy.defaultPolicyTypes(egressRuleCount: egress.count)
    if let typeNodes = context.list(spec?["policyTypes"], "spec.policyTypes"), !typeNodes.isEmpty {
      types = (false, false)
      for node in typeNodes {
        switch context.string(node, "spec.policyTypes[]") {
        case "Ingress": types.ingress = true
        case "Egress": types.egress = true
        case let other?:
          context.error(
            .invalidPolicyType, "spec.policyTypes: '\(other)' is not Ingress or Egress", at: node
          )
        case nil: break
        }
      }
    }
    builder.add(
      networkPolicy: NetworkPolicy(
        namespace: ns, name: meta.name, podSelector: podSelector, ingress: ingress, egress: egress,
        isolatesIngress: types.ingress, isolatesEgress: types.egress, location: location))
  }

  private func rules(_ node: YNode?, field: String, peersKey: StaticString, egress: Bool)
    -> [NetworkPolicyRule]
  {
    guard let items = context.list(node, field) else { return [] }
    var result: [NetworkPolicyRule] = []
    let peerField = "\(field)[].\(peersKey)"
    let portField = "\(field)[].ports[]"
    for item in items {
      let location = context.location(item)
      guard !item.isNull else {
        result.append(NetworkPolicyRule(location: location))
        continue
      }
      guard let rule = context.mapping(item, "\(field)[]") else { continue }
      var peers: [NetworkPolicyPeer] = []
      var hasIPBlock = false
      for peerNode in context.list(rule[peersKey], peerField) ?? [] {
        guard let peer = self.peer(peerNode, field: peerField) else { continue }
        if case .ipBlock = peer { hasIPBlock = true }
        peers.append(peer)
      }
      var ports: [NetworkPolicyPort] = []
      for portNode in context.list(rule["ports"], "\(field)[].ports") ?? [] {
        guard let port = self.port(portNode, field: portField) else { continue }
        if egress, hasIPBlock, case .name(let name)? = port.port {
          context.warning(
            .namedPortIPBlock,
            "\(field)[].ports[]: named port '\(name)' with an ipBlock peer is resolved only on pods; "
              + "it admits no address outside the cluster (with --ipblock-matches-pod-ips, it "
              + "applies to the pods inside the block)",
            at: portNode)
        }
        ports.append(port)
      }
      result.append(NetworkPolicyRule(peers: peers, ports: ports, location: location))
    }
    return result
  }

  private func peer(_ node: YNode, field: String) -> NetworkPolicyPeer? {
    guard let map = node.isNull ? nil : context.mapping(node, "\(field)[]") else {
      if node.isNull || node.isMapping {
        context.error(
          .emptyPeer, "\(field)[]: a peer must set podSelector, namespaceSelector or ipBlock",
          at: node)
      }
      return nil
    }
    let podNode = map["podSelector"].flatMap { $0.isNull ? nil : $0 }
    let nsNode = map["namespaceSelector"].flatMap { $0.isNull ? nil : $0 }
    let ipNode = map["ipBlock"].flatMap { $0.isNull ? nil : $0 }
    if podNode == nil && nsNode == nil && ipNode == nil {
      context.error(
        .emptyPeer, "\(field)[]: a peer must set podSelector, namespaceSelector or ipBlock",
        at: node)
      return nil
    }
    if let ipNode {
      if podNode != nil || nsNode != nil {
        context.error(
          .invalidPeer,
          "\(field)[]: a peer cannot have both ipBlock and podSelector/namespaceSelector", at: node)
        return nil
      }
      return ipBlock(ipNode, field: "\(field)[].ipBlock").map { .ipBlock($0) }
    }
    let pods = context.labelSelector(podNode, "\(field)[].podSelector")
    let namespaces = context.labelSelector(nsNode, "\(field)[].namespaceSelector")
    return .selector(pods: pods, namespaces: namespaces)
  }

  private func ipBlock(_ node: YNode, field: String) -> IPBlock? {
    guard let map = context.mapping(node, field) else { return nil }
    guard let cidr = context.cidr(map["cidr"], "\(field).cidr", at: map) else { return nil }
    var excepts: [CIDR] = []
    for item in context.list(map["except"], "\(field).except") ?? [] {
      guard let except = context.cidr(item, "\(field).except[]", at: item) else { continue }
      let outer = cidr.range
      let inner = except.range
      if !outer.contains(inner) || except.prefixLength <= cidr.prefixLength {
        context.error(
          .invalidExcept, "\(field).except: '\(except)' is not strictly inside cidr '\(cidr)'",
          at: item)
        continue
      }
      excepts.append(except)
    }
    return IPBlock(cidr: cidr, except: excepts)
  }

  private func port(_ node: YNode, field: String) -> NetworkPolicyPort? {
    guard let map = context.mapping(node, field) else {
      return node.isNull ? NetworkPolicyPort() : nil
    }
    guard let proto = context.transportProtocol(map["protocol"], "\(field).protocol") else {
      return nil
    }
    let portNode = map["port"].flatMap { $0.isNull ? nil : $0 }
    let endNode = map["endPort"].flatMap { $0.isNull ? nil : $0 }
    let value = context.intOrString(portNode, "\(field).port")
    var endPort: Int?
    if let endNode {
      guard let end = context.int(endNode, "\(field).endPort") else { return nil }
      endPort = end
    }
    switch value {
    case .number(let start)?:
      guard (1...65535).contains(start) else {
        context.error(
          .invalidPort, "\(field).port: port \(start) is outside 1-65535", at: portNode ?? map)
        return nil
      }
      if let end = endPort, let endNode {
        if end < start || end > 65535 {
          context.error(
            .invalidPortRange,
            "\(field): port range \(start)-\(end) is invalid; endPort must be in \(start)-65535",
            at: endNode)
          return nil
        }
      }
    case .name(let name)?:
      if let endNode {
        context.error(
          .namedPortWithEndPort,
          "\(field): endPort cannot be used with the named port '\(name)'", at: endNode)
        return nil
      }
      if name.isEmpty, let portNode {
        context.error(.invalidPort, "\(field).port: empty port name", at: portNode)
        return nil
      }
    case nil:
      if let endNode {
        context.error(
          .endPortWithoutPort, "\(field): endPort requires a numeric port", at: endNode)
        return nil
      }
    }
    return NetworkPolicyPort(protocol: proto, port: value, endPort: endPort)
  }
}
