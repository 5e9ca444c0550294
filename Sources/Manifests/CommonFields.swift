import KubeModel

/// Decoding of the field shapes that several kinds share: metadata, label selectors, CIDRs,
/// protocols and port numbers, with Kubernetes validation.
extension DecodeContext {
  /// `metadata.name` and `metadata.namespace` (the default namespace when absent; meaningless
  /// for cluster-scoped kinds).
  struct Metadata {
    var name: String
    var namespace: String?
    var labels: [String: String]
    var annotations: [String: String] = [:]
    /// `metadata.creationTimestamp` as written.
    var creationTimestamp: String? = nil
  }

  func metadata(_ object: YNode, kind: String) -> Metadata? {
    let meta = mapping(object["metadata"], "metadata")
    let name = string(meta?["name"], "metadata.name") ?? ""
    if name.isEmpty {
      error(.missingName, "\(kind) has no metadata.name", at: meta ?? object)
      return nil
    }
    // Namespaces are DNS-1123 labels (no dots); most other objects DNS-1123 subdomains.
    let valid =
      kind == "Namespace" ? KubernetesNames.isDNSLabel(name) : DecodeContext.isDNSSubdomain(name)
    if let nameNode = meta?["name"], !valid {
      warning(
        .invalidName,
        "\(kind) name '\(name)' is not a valid Kubernetes object name (lower-case letters, digits, "
          + (kind == "Namespace"
            ? "and '-', starting and ending with a letter or digit, at most 63 characters); "
            : "'-' and '.', starting and ending with a letter or digit, at most 253 characters); ")
          + "the API server would refuse it",
        at: nameNode)
    }
    // Objects that name no namespace go to the default one (`-n`), as `kubectl apply -n` does.
    let namespace =
      string(meta?["namespace"], "metadata.namespace").flatMap { $0.isEmpty ? nil : $0 }
      ?? defaultNamespace
    let labels = stringMap(meta?["labels"], "metadata.labels") ?? [:]
    let annotations = stringMap(meta?["annotations"], "metadata.annotations") ?? [:]
    let created = meta?["creationTimestamp"].flatMap { node in
      node.isNull ? nil : string(node, "metadata.creationTimestamp")
    }
    return Metadata(
      name: name, namespace: namespace, labels: labels, annotations: annotations,
      creationTimestamp: created)
  }

  static func isDNSSubdomain(_ name: String) -> Bool { KubernetesNames.isDNSSubdomain(name) }

  /// A label selector (`matchLabels` and `matchExpressions`), validated; nil when absent or null.
  func labelSelector(_ node: YNode?, _ field: @autoclosure () -> String) -> LabelSelector? {
    guard let map = mapping(node, field()) else { return nil }
    var selector = LabelSelector()
    if let labelsNode = map["matchLabels"],
      let labels = stringMap(labelsNode, "\(field()).matchLabels")
    {
      for (key, value) in labels {
        if !isValidLabelKey(key) {
          error(
            .invalidSelector, "\(field()).matchLabels: invalid label key '\(key)'", at: labelsNode
          )
        } else if !isValidLabelValue(value) {
          error(
            .invalidSelector,
            "\(field()).matchLabels: invalid label value '\(value)' for key '\(key)'",
            at: labelsNode)
        }
      }
      selector.matchLabels = labels
    }
    for item in list(map["matchExpressions"], "\(field()).matchExpressions") ?? [] {
      if let requirement = labelRequirement(item, "\(field()).matchExpressions") {
        selector.matchExpressions.append(requirement)
      }
    }
    return selector
  }

  private func labelRequirement(_ node: YNode, _ field: @autoclosure () -> String)
    -> LabelRequirement?
  {
    guard let map = mapping(node, "an item of \(field())") else {
      error(.invalidSelector, "\(field()): empty requirement", at: node)
      return nil
    }
    let key = string(map["key"], "\(field()).key") ?? ""
    let opText = string(map["operator"], "\(field()).operator") ?? ""
    let values = stringList(map["values"], "\(field()).values") ?? []
    guard isValidLabelKey(key) else {
      error(.invalidSelector, "\(field()): invalid label key '\(key)'", at: map["key"] ?? map)
      return nil
    }
    guard let op = SelectorOperator(rawValue: opText) else {
      error(
        .invalidSelector, "\(field()): '\(opText)' is not a valid label selector operator",
        at: map["operator"] ?? map)
      return nil
    }
    switch op {
    case .in, .notIn:
      if values.isEmpty {
        error(
          .invalidSelector, "\(field()): values must be non-empty for operator \(op.rawValue)",
          at: map["values"] ?? map)
        return nil
      }
    case .exists, .doesNotExist:
      if !values.isEmpty {
        error(
          .invalidSelector, "\(field()): values must be empty for operator \(op.rawValue)",
          at: map["values"] ?? map)
        return nil
      }
    }
    for value in values where !isValidLabelValue(value) {
      error(
        .invalidSelector, "\(field()): invalid label value '\(value)'", at: map["values"] ?? map)
      return nil
    }
    return LabelRequirement(key: key, operator: op, values: values)
  }

  /// A CIDR, or an `invalid-cidr` error.
  func cidr(
    _ node: YNode?, _ field: @autoclosure () -> String, required: Bool = true, at parent: YNode
  ) -> CIDR? {
    guard let text = string(node, field()) else {
      if required { error(.invalidCIDR, "\(field()) is missing", at: parent) }
      return nil
    }
    guard let value = CIDRParser.parse(text) else {
      error(.invalidCIDR, "\(field()): invalid CIDR address '\(text)'", at: node ?? parent)
      return nil
    }
    return value
  }

  /// `TCP`, `UDP` or `SCTP`; TCP when absent.
  func transportProtocol(_ node: YNode?, _ field: @autoclosure () -> String) -> TransportProtocol? {
    guard let text = string(node, field()) else { return .tcp }
    if let value = TransportProtocol(rawValue: text) { return value }
    if let node {
      error(
        .invalidProtocol, "\(field()): unsupported protocol '\(text)' (TCP, UDP or SCTP)",
        at: node)
    }
    return nil
  }

  /// A port number in 1...65535, or an `invalid-port` error.
  func portNumber(_ node: YNode?, _ field: @autoclosure () -> String, at parent: YNode) -> Int? {
    guard let node, let value = int(node, field()) else {
      if node == nil || node?.isNull == true {
        error(.invalidPort, "\(field()) is missing", at: parent)
      }
      return nil
    }
    guard (1...65535).contains(value) else {
      error(.invalidPort, "\(field()): port \(value) is outside 1-65535", at: node)
      return nil
    }
    return value
  }

  /// `selector.matchLabels` of an Istio object; nil when absent.
  func istioSelector(_ object: YNode) -> [String: String]? {
    guard let spec = mapping(object["spec"], "spec"),
      let selector = mapping(spec["selector"], "spec.selector")
    else { return nil }
    return stringMap(selector["matchLabels"], "spec.selector.matchLabels") ?? [:]
  }
}

/// CIDR parsing with a fast path for IPv4, the common case in policies.
enum CIDRParser {
  static func parse(_ text: String) -> CIDR? {
    var copy = text
    let v4 = copy.withUTF8 { parseV4($0) }
    if let v4 { return v4 }
    return CIDR(text)
  }

  /// `a.b.c.d/n` from bytes; nil when the text is anything else (including IPv6).
  private static func parseV4(_ b: UnsafeBufferPointer<UInt8>) -> CIDR? {
    var value: UInt32 = 0
    var octet: UInt32 = 0
    var digits = 0
    var dots = 0
    var i = 0
    while i < b.count {
      let c = b[i]
      if c >= 0x30 && c <= 0x39 {
        digits += 1
        octet = octet * 10 + UInt32(c - 0x30)
        guard digits <= 3, octet <= 255 else { return nil }
      } else if c == 0x2E || c == 0x2F {
        guard digits > 0 else { return nil }
        value = value << 8 | octet
        octet = 0
        digits = 0
        if c == 0x2F { break }
        dots += 1
        guard dots <= 3 else { return nil }
      } else {
        return nil
      }
      i += 1
    }
    guard dots == 3, i < b.count, b[i] == 0x2F else { return nil }
    var length = 0
    var lengthDigits = 0
    i += 1
    while i < b.count {
      let c = b[i]
      guard c >= 0x30 && c <= 0x39, lengthDigits < 2 else { return nil }
      length = length * 10 + Int(c - 0x30)
      lengthDigits += 1
      i += 1
    }
    guard lengthDigits > 0, length <= 32 else { return nil }
    return CIDR(address: IPAddress(family: .v4, value: UInt128(value)), prefixLength: length)
  }
}

/// The name rules of the Kubernetes API server.
public enum KubernetesNames {
  /// A DNS-1123 subdomain: what the API server accepts as most objects' names.
  public static func isDNSSubdomain(_ name: String) -> Bool {
    valid(name, maxLength: 253, dots: true)
  }

  /// A DNS-1123 label: what the API server accepts as a namespace's name.
  public static func isDNSLabel(_ name: String) -> Bool {
    valid(name, maxLength: 63, dots: false)
  }

  private static func valid(_ name: String, maxLength: Int, dots: Bool) -> Bool {
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
    func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
    guard alnum(bytes[0]), alnum(bytes[bytes.count - 1]) else { return false }
    return bytes.allSatisfy { alnum($0) || $0 == 0x2D || (dots && $0 == 0x2E) }
  }
}
