import KubeModel

/// The field names a kind accepts, for strict unknown-field validation as `kubectl apply` does
/// it: a misspelt key (`matchLabel:`) must not silently read as an empty selector.
indirect enum FieldSchema: Sendable {
  /// Any value; not looked into.
  case any
  /// A mapping with exactly these fields.
  case object([String: FieldSchema])
  /// A list whose items follow a schema.
  case list(FieldSchema)
  /// A mapping with free keys (labels, port maps) whose values follow a schema.
  case map(FieldSchema)

  // MARK: - Shared shapes

  /// A Kubernetes `LabelSelector`.
  static let labelSelector: FieldSchema = .object([
    "matchLabels": .any,
    "matchExpressions": .list(.object(["key": .any, "operator": .any, "values": .any])),
  ])

  /// `ObjectMeta`: every standard field is accepted.
  static let objectMeta: FieldSchema = .object(
    Dictionary(
      uniqueKeysWithValues: [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
        "annotations", "ownerReferences", "finalizers", "managedFields", "clusterName",
      ].map { ($0, FieldSchema.any) }))

  /// A whole object whose `spec` follows `spec`.
  static func object(spec: FieldSchema) -> FieldSchema {
    .object([
      "apiVersion": .any, "kind": .any, "metadata": objectMeta, "spec": spec, "status": .any,
    ])
  }

  // MARK: - NetworkPolicy (networking.k8s.io/v1)

  static let networkPolicy: FieldSchema = {
    let peer: FieldSchema = .object([
      "podSelector": labelSelector, "namespaceSelector": labelSelector,
      "ipBlock": .object(["cidr": .any, "except": .any]),
    ])
    let port: FieldSchema = .object(["protocol": .any, "port": .any, "endPort": .any])
    return object(
      spec: .object([
        "podSelector": labelSelector, "policyTypes": .any,
        "ingress": .list(.object(["from": .list(peer), "ports": .list(port)])),
        "egress": .list(.object(["to": .list(peer), "ports": .list(port)])),
      ]))
  }()

  // MARK: - AdminNetworkPolicy, BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)

  static func adminPolicy(baseline: Bool) -> FieldSchema {
    let pods: FieldSchema = .object([
      "namespaceSelector": labelSelector, "podSelector": labelSelector,
    ])
    let subject: FieldSchema = .object(["namespaces": labelSelector, "pods": pods])
    let ingressPeer: FieldSchema = .object(["namespaces": labelSelector, "pods": pods])
    let egressPeer: FieldSchema = .object([
      "namespaces": labelSelector, "pods": pods, "nodes": labelSelector, "networks": .any,
      "domainNames": .any,
    ])
    let port: FieldSchema = .object([
      "portNumber": .object(["protocol": .any, "port": .any]), "namedPort": .any,
      "portRange": .object(["protocol": .any, "start": .any, "end": .any]),
    ])
    func rule(_ peersKey: String, _ peer: FieldSchema) -> FieldSchema {
      .object(["name": .any, "action": .any, peersKey: .list(peer), "ports": .list(port)])
    }
    var spec: [String: FieldSchema] = [
      "subject": subject, "ingress": .list(rule("from", ingressPeer)),
      "egress": .list(rule("to", egressPeer)),
    ]
    if !baseline { spec["priority"] = .any }
    return object(spec: .object(spec))
  }

  // MARK: - Istio security kinds (security.istio.io v1, v1beta1)

  private static let workloadSelector: FieldSchema = .object(["matchLabels": .any])
  private static let policyTargetReference: FieldSchema = .object([
    "group": .any, "kind": .any, "name": .any, "namespace": .any,
  ])

  static let peerAuthentication: FieldSchema = object(
    spec: .object([
      "selector": workloadSelector, "mtls": .object(["mode": .any]),
      "portLevelMtls": .map(.object(["mode": .any])),
    ]))

  static let authorizationPolicy: FieldSchema = {
    let sourceFields = [
      "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
      "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks",
      "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains",
    ]
    let operationFields = [
      "hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths",
    ]
    let source: FieldSchema = .object(
      Dictionary(uniqueKeysWithValues: sourceFields.map { ($0, FieldSchema.any) }))
    let operation: FieldSchema = .object(
      Dictionary(uniqueKeysWithValues: operationFields.map { ($0, FieldSchema.any) }))
    let rule: FieldSchema = .object([
      "from": .list(.object(["source": source])),
      "to": .list(.object(["operation": operation])),
      "when": .list(.object(["key": .any, "values": .any, "notValues": .any])),
    ])
    return object(
      spec: .object([
        "selector": workloadSelector, "targetRef": policyTargetReference,
        "targetRefs": .list(policyTargetReference), "action": .any,
        "provider": .object(["name": .any]), "rules": .list(rule),
      ]))
  }()

  // MARK: - Parts of kinds read only in part

  /// An item of a Service's `spec.ports`.
  static let servicePort: FieldSchema = .object(
    Dictionary(
      uniqueKeysWithValues: ["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"]
        .map { ($0, FieldSchema.any) }))

  /// An item of a container's `ports`.
  static let containerPort: FieldSchema = .object(
    Dictionary(
      uniqueKeysWithValues: ["name", "hostPort", "containerPort", "protocol", "hostIP"].map {
        ($0, FieldSchema.any)
      }))
}

extension DecodeContext {
  /// Reports every field of `node` (and below) that `schema` does not know. An unknown field is
  /// an error (a warning under `lenient`, or when `warnOnly`); values of the wrong shape are left
  /// to the decoders.
  func checkFields(_ node: YNode?, _ schema: FieldSchema, path: String, warnOnly: Bool = false) {
    checkFields(node, schema, lazyPath: { path }, warnOnly: warnOnly)
  }

  /// The path is built only when a field is reported (most objects have none to report).
  private func checkFields(
    _ node: YNode?, _ schema: FieldSchema, lazyPath path: () -> String, warnOnly: Bool
  ) {
    guard let node, !node.isNull else { return }
    switch schema {
    case .any:
      return
    case .list(let item):
      guard node.isSequence else { return }
      for child in node.items { checkFields(child, item, lazyPath: { "\(path())[]" }, warnOnly: warnOnly) }
    case .map(let value):
      guard node.isMapping else { return }
      for (key, child) in node.pairs where !key.isMergeKey {
        checkFields(child, value, lazyPath: { "\(path()).\(key.text)" }, warnOnly: warnOnly)
      }
    case .object(let fields):
      guard node.isMapping else { return }
      for (key, child) in node.pairs {
        guard key.isScalar, !key.isMergeKey else { continue }
        let name = key.text
        guard let sub = fields[name] else {
          unknownField(name, at: key, path: path(), known: fields.keys, warnOnly: warnOnly)
          continue
        }
        checkFields(
          child, sub,
          lazyPath: {
            let parent = path()
            return parent.isEmpty ? name : "\(parent).\(name)"
          }, warnOnly: warnOnly)
      }
    }
  }

  /// One `unknown-field` diagnostic, with the closest known name when one is near.
  func unknownField(
    _ name: String, at key: YNode, path: String, known: some Collection<String>, warnOnly: Bool
  ) {
    var message = "unknown field '\(name)'" + (path.isEmpty ? "" : " in \(path)")
    if let near = FieldSchema.nearest(to: name, in: known) {
      message += " (did you mean '\(near)'?)"
    }
    if warnOnly {
      warning(.unknownField, message + "; ignored", at: key)
    } else if lenient {
      warning(.unknownField, message + "; ignored (--lenient)", at: key)
    } else {
      error(.unknownField, message, at: key)
    }
  }
}

extension FieldSchema {
  /// The known name closest to `name` (case-insensitive edit distance at most 2), if any.
  static func nearest(to name: String, in known: some Collection<String>) -> String? {
    let target = Array(name.lowercased().utf8)
    var best: (distance: Int, name: String)?
    for candidate in known.sorted() {
      let d = editDistance(target, Array(candidate.lowercased().utf8))
      if d <= 2, best == nil || d < best!.distance { best = (d, candidate) }
    }
    return best?.name
  }

  private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
