import KubeModel

/// Decodes and validates AdminNetworkPolicy and BaselineAdminNetworkPolicy
/// (policy.networking.k8s.io/v1alpha1).
struct AdminPolicyDecoder {
  let context: DecodeContext
  let builder: ClusterBuilder

  func decode(_ object: YNode, baseline: Bool) {
    let kind = baseline ? "BaselineAdminNetworkPolicy" : "AdminNetworkPolicy"
    guard let meta = context.metadata(object, kind: kind) else { return }
    let location = context.location(object)
    guard builder.register(kind: kind, namespace: "", name: meta.name, at: location) else { return }
    if baseline && meta.name != "default" {
      let node = context.mapping(object["metadata"], "metadata")?["name"] ?? object
      context.error(
        .invalidBaselineName,
        "a BaselineAdminNetworkPolicy must be named 'default', not '\(meta.name)'",
        at: node)
    }
    let spec = context.mapping(object["spec"], "spec")
    var priority = 0
    if !baseline, let node = spec?["priority"], let value = context.int(node, "spec.priority") {
      if (0...1000).contains(value) {
        priority = value
      } else {
        context.error(
          .invalidPriority,
          "AdminNetworkPolicy '\(meta.name)': priority \(value) is outside 0-1000", at: node)
      }
    }
    guard let subject = subject(spec?["subject"], parent: spec ?? object) else { return }
    let ingress = rules(spec?["ingress"], field: "spec.ingress", egress: false, baseline: baseline)
    let egress = rules(spec?["egress"], field: "spec.egress", egress: true, baseline: baseline)
    builder.add(
      adminPolicy: AdminNetworkPolicy(
        name: meta.name, priority: priority, isBaseline: baseline, subject: subject,
        ingress: ingress,
        egress: egress, location: location))
  }

  /// A subject or a `pods`/`namespaces` peer: exactly one of the two.
  private func podSet(_ map: YNode, field: String) -> AdminPodSet? {
    let namespaces = map["namespaces"].flatMap { $0.isNull ? nil : $0 }
    let pods = map["pods"].flatMap { $0.isNull ? nil : $0 }
    switch (namespaces, pods) {
    case (let ns?, nil):
      return .namespaces(context.labelSelector(ns, "\(field).namespaces") ?? .everything)
    case (nil, let p?):
      let podsMap = context.mapping(p, "\(field).pods")
      return .pods(
        namespaces: context.labelSelector(
          podsMap?["namespaceSelector"], "\(field).pods.namespaceSelector")
          ?? .everything,
        pods: context.labelSelector(podsMap?["podSelector"], "\(field).pods.podSelector")
          ?? .everything)
    default:
      return nil
    }
  }

  private func subject(_ node: YNode?, parent: YNode) -> AdminPodSet? {
    guard let map = context.mapping(node, "spec.subject"),
      let set = podSet(map, field: "spec.subject")
    else {
      context.error(
        .invalidSubject, "spec.subject: exactly one of namespaces or pods must be set",
        at: node ?? parent)
      return nil
    }
    return set
  }

  private func rules(_ node: YNode?, field: String, egress: Bool, baseline: Bool)
    -> [AdminPolicyRule]
  {
    var result: [AdminPolicyRule] = []
    for item in context.list(node, field) ?? [] {
      guard let rule = context.mapping(item, "\(field)[]") else {
        context.error(.invalidRule, "\(field)[]: a rule must be a mapping", at: item)
        continue
      }
      let name = context.string(rule["name"], "\(field)[].name") ?? ""
      let actionText = context.string(rule["action"], "\(field)[].action") ?? ""
      let action = AdminPolicyAction(rawValue: actionText)
      if action == nil || (baseline && action == .pass) {
        context.error(
          .invalidAction,
          "\(field)[] '\(name)': unrecognized action '\(actionText)' (\(baseline ? "Allow or Deny" : "Allow, Deny or Pass"))",
          at: rule["action"] ?? rule)
      }
      let peersKey: StaticString = egress ? "to" : "from"
      let peersField = "\(field)[].\(peersKey)"
      let peerNodes = context.list(rule[peersKey], peersField) ?? []
      if peerNodes.isEmpty {
        context.error(
          .invalidRulePeers,
          "\(field)[] '\(name)': \(peersKey) must be set and contain at least one peer",
          at: rule[peersKey] ?? rule)
      }
      var peers: [AdminPolicyPeer] = []
      for peerNode in peerNodes {
        if let peer = peer(peerNode, field: peersField, egress: egress) { peers.append(peer) }
      }
      var ports: [AdminPolicyPort]?
      if let portNodes = context.list(rule["ports"], "\(field)[].ports") {
        ports = portNodes.compactMap { port($0, field: "\(field)[].ports[]") }
      }
      guard let action, !(baseline && action == .pass) else { continue }
      result.append(
        AdminPolicyRule(
          name: name, action: action, peers: peers, ports: ports, location: context.location(rule)))
    }
    return result
  }

  private func peer(_ node: YNode, field: String, egress: Bool) -> AdminPolicyPeer? {
    let oneField = "\(field)[]: exactly one field must be set in a rule peer"
    guard let map = node.isNull ? nil : context.mapping(node, "\(field)[]") else {
      context.error(.invalidPeer, oneField, at: node)
      return nil
    }
    let present = { (key: StaticString) -> YNode? in map[key].flatMap { $0.isNull ? nil : $0 } }
    let namespaces = present("namespaces")
    let pods = present("pods")
    let networks = egress ? present("networks") : nil
    let nodes = egress ? present("nodes") : nil
    let count = [namespaces, pods, networks, nodes].reduce(0) { $0 + ($1 == nil ? 0 : 1) }
    guard count == 1 else {
      context.error(.invalidPeer, oneField, at: node)
      return nil
    }
    if let networks {
      let cidrs = (context.list(networks, "\(field)[].networks") ?? []).compactMap {
        context.cidr($0, "\(field)[].networks[]", at: $0)
      }
      return .networks(cidrs)
    }
    if let nodes {
      return .nodes(context.labelSelector(nodes, "\(field)[].nodes") ?? .everything)
    }
    return podSet(map, field: "\(field)[]").map { .pods($0) }
  }

  private func port(_ node: YNode, field: String) -> AdminPolicyPort? {
    let oneField = "\(field): exactly one field must be set in an AdminNetworkPolicyPort"
    guard let map = node.isNull ? nil : context.mapping(node, field) else {
      context.error(.invalidPort, oneField, at: node)
      return nil
    }
    let number = map["portNumber"].flatMap { $0.isNull ? nil : $0 }
    let named = map["namedPort"].flatMap { $0.isNull ? nil : $0 }
    let range = map["portRange"].flatMap { $0.isNull ? nil : $0 }
    let count = [number, named, range].reduce(0) { $0 + ($1 == nil ? 0 : 1) }
    guard count == 1 else {
      context.error(.invalidPort, oneField, at: node)
      return nil
    }
    if let named {
      guard let name = context.string(named, "\(field).namedPort"), !name.isEmpty else {
        return nil
      }
      return .named(name)
    }
    if let number {
      guard let m = context.mapping(number, "\(field).portNumber"),
        let proto = context.transportProtocol(m["protocol"], "\(field).portNumber.protocol"),
        let port = context.portNumber(m["port"], "\(field).portNumber.port", at: m)
      else { return nil }
      return .number(proto, port)
    }
    guard let range, let m = context.mapping(range, "\(field).portRange"),
      let proto = context.transportProtocol(m["protocol"], "\(field).portRange.protocol"),
      let start = context.int(m["start"], "\(field).portRange.start"),
      let end = context.int(m["end"], "\(field).portRange.end")
    else {
      if range != nil && context.mapping(range, "\(field).portRange")?["start"] == nil {
        context.error(
          .invalidPort, "\(field).portRange: start and end are required", at: range ?? node)
      }
      return nil
    }
    guard (1...65535).contains(start), (1...65535).contains(end), start <= end else {
      context.error(
        .invalidPortRange,
        "\(field).portRange: port range \(start)-\(end) is invalid; need 1 <= start <= end <= 65535",
        at: range)
      return nil
    }
    return .range(proto, start, end)
  }
}
