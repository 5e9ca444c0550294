import KubeModel

/// Turns the root of one document into model objects: dispatches on `kind`, unwraps lists and
/// top-level sequences, and counts the kinds it does not model.
struct ObjectDecoder {
  let context: DecodeContext
  let builder: ClusterBuilder

  /// Decodes every object of a document.
  func decode(document root: YNode) {
    if root.isNull { return }
    switch root.kind {
    case .mapping:
      decode(object: root, impliedKind: nil)
    case .sequence:
      for item in root.items { decode(item: item, impliedKind: nil) }
    case .scalar:
      context.warning(
        .notAnObject, "document is a scalar, not a Kubernetes object; ignored", at: root)
    }
  }

  private func decode(item: YNode, impliedKind: String?) {
    if item.isNull { return }
    if item.isMapping {
      decode(object: item, impliedKind: impliedKind)
    } else {
      context.warning(.notAnObject, "list item is not a Kubernetes object; ignored", at: item)
    }
  }

  private func decode(object: YNode, impliedKind: String?) {
    let kind = context.string(object["kind"], "kind") ?? impliedKind ?? ""
    let apiVersion = context.string(object["apiVersion"], "apiVersion") ?? ""
    if kind.isEmpty {
      context.warning(.missingKind, "object has no kind; ignored", at: object)
      builder.skip(kind: "<none>")
      return
    }
    if kind == "List" || (kind.hasSuffix("List") && object["items"] != nil) {
      let itemKind = kind == "List" ? nil : String(kind.dropLast(4))
      for item in context.list(object["items"], "items") ?? [] {
        decode(item: item, impliedKind: itemKind)
      }
      return
    }
    let group = apiVersion.firstIndex(of: "/").map { String(apiVersion[..<$0]) } ?? ""
    context.countObject()
    builder.currentFingerprint = ObjectFingerprint.of(object)
    if let schema = Self.strictSchema(kind: kind, group: group) {
      context.checkFields(object, schema, path: "")
    }
    switch kind {
    // Kinds are read by group too: a Knative `Service` or another project's `Ingress` is not
    // the Kubernetes kind of that name.
    case "Namespace" where group.isEmpty: decodeNamespace(object)
    case "Pod" where group.isEmpty: decodePod(object)
    case _ where Self.workloadGroups.contains(group) && WorkloadKind(rawValue: kind) != nil && kind != "Pod":
      if let workloadKind = WorkloadKind(rawValue: kind) { decodeWorkload(object, kind: workloadKind) }
    case "Service" where group.isEmpty: decodeService(object)
    case "Ingress" where group.isEmpty || group == "networking.k8s.io" || group == "extensions":
      decodeIngress(object)
    case "Route" where group.isEmpty || group == "route.openshift.io":
      decodeRoute(object)
    case "NetworkPolicy"
    where group.isEmpty || group == "networking.k8s.io" || group == "extensions":
      NetworkPolicyDecoder(context: context, builder: builder).decode(object)
    case "AdminNetworkPolicy" where group.isEmpty || group == "policy.networking.k8s.io",
      "BaselineAdminNetworkPolicy" where group.isEmpty || group == "policy.networking.k8s.io":
      AdminPolicyDecoder(context: context, builder: builder).decode(
        object, baseline: kind.hasPrefix("Baseline"))
    case "PeerAuthentication" where group == "security.istio.io",
      "AuthorizationPolicy" where group == "security.istio.io",
      "DestinationRule" where group == "networking.istio.io":
      MeshDecoder(context: context, builder: builder).decode(object, kind: kind)
    case "Gateway" where group == "gateway.networking.k8s.io" && MeshDecoder.isWaypoint(object):
      MeshDecoder(context: context, builder: builder).decodeWaypoint(object)
    default:
      let name = group.isEmpty || Self.coreGroups.contains(group) ? kind : "\(kind) (\(group))"
      builder.skip(kind: name)
      if Self.isUnevaluatedPolicy(kind: kind, group: group) {
        let qualified = qualifiedName(object)
        builder.unevaluated(kind: name)
        context.warning(
          .unevaluatedPolicy,
          "\(name) '\(qualified)' is a policy kind kubereach does not evaluate; "
            + "the connectivity shown ignores it",
          at: object)
        return
      }
      if Self.createsPods(kind: kind, group: group, object: object) {
        let qualified = qualifiedName(object)
        context.warning(
          .unmodelledWorkload,
          "\(name) '\(qualified)' creates pods that kubereach does not model; they are left out "
            + "of the connectivity shown, and policies that select only them select nothing here",
          at: object)
        return
      }
      if context.verbose {
        context.append(
          Diagnostic(
            .note, code: .skippedKind, "\(name) is not modelled; skipped",
            at: context.location(object)))
      }
    }
  }

  /// `namespace/name` of an object kubereach does not model, for messages (`<unnamed>` without
  /// a name).
  private func qualifiedName(_ object: YNode) -> String {
    let meta = context.mapping(object["metadata"], "metadata")
    let objectName = context.string(meta?["name"], "metadata.name") ?? "<unnamed>"
    let ns = context.string(meta?["namespace"], "metadata.namespace")
    return ns.map { "\($0)/\(objectName)" } ?? objectName
  }

  /// The API groups of the workload kinds (`extensions` for old manifests, `""` for
  /// ReplicationController and group-less inputs).
  static let workloadGroups: Set<String> = ["", "apps", "batch", "extensions"]

  /// Operator kinds known to create pods from fields of their own (no pod template).
  static let operatorWorkloads: [String: Set<String>] = [
    "monitoring.coreos.com": ["Prometheus", "PrometheusAgent", "Alertmanager", "ThanosRuler"],
    "argoproj.io": ["Rollout"],
  ]

  /// Whether an object of a kind kubereach does not model creates pods: a known operator kind,
  /// or a custom resource that carries a pod template (`spec.template.spec.containers`).
  static func createsPods(kind: String, group: String, object: YNode) -> Bool {
    if operatorWorkloads[group]?.contains(kind) == true { return true }
    guard !group.isEmpty, !coreGroups.contains(group) else { return false }
    return object["spec"]?["template"]?["spec"]?["containers"] != nil
  }

  /// The schema of a kind whose every field is checked (policies), nil for kinds read in part.
  static func strictSchema(kind: String, group: String) -> FieldSchema? {
    switch kind {
    case "NetworkPolicy" where group.isEmpty || group == "networking.k8s.io" || group == "extensions":
      return .networkPolicy
    case "AdminNetworkPolicy" where group.isEmpty || group == "policy.networking.k8s.io":
      return .adminPolicy(baseline: false)
    case "BaselineAdminNetworkPolicy" where group.isEmpty || group == "policy.networking.k8s.io":
      return .adminPolicy(baseline: true)
    case "PeerAuthentication" where group == "security.istio.io":
      return .peerAuthentication
    case "AuthorizationPolicy" where group == "security.istio.io":
      return .authorizationPolicy
    default:
      return nil
    }
  }

  /// Network policy kinds of CNIs and meshes that kubereach reads past without evaluating: they
  /// may deny or allow traffic that the output then misreports, so each one is warned about.
  static func isUnevaluatedPolicy(kind: String, group: String) -> Bool {
    let known: Set<String> = [
      "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy",
      "StagedKubernetesNetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy",
      "ClusterNetworkPolicy", "EgressFirewall", "EgressNetworkPolicy", "MultiNetworkPolicy",
      "FQDNNetworkPolicy", "TrafficPermission", "MeshTrafficPermission", "ServiceIntentions",
      "ServerAuthorization",
    ]
    if kind == "Tier" { return group.contains("projectcalico.org") || group.contains("antrea") }
    if known.contains(kind) || kind.hasSuffix("NetworkPolicy") { return true }
    // Linkerd's AuthorizationPolicy and the like: an authorization kind of another group.
    return kind == "AuthorizationPolicy" && group != "security.istio.io"
  }

  /// API groups whose kinds are reported by their bare kind name when skipped.
  private static let coreGroups: Set<String> = [
    "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io",
  ]

  // MARK: - Namespaces

  private func decodeNamespace(_ object: YNode) {
    guard let meta = context.metadata(object, kind: "Namespace") else { return }
    let location = context.location(object)
    guard builder.register(kind: "Namespace", namespace: "", name: meta.name, at: location) else {
      return
    }
    builder.add(namespace: Namespace(name: meta.name, labels: meta.labels, location: location))
  }

  /// The namespace of a namespaced object, `default` when absent.
  private func namespace(_ meta: DecodeContext.Metadata) -> String {
    meta.namespace ?? context.defaultNamespace
  }

  // MARK: - Workloads

  private func decodeWorkload(_ object: YNode, kind: WorkloadKind) {
    guard let meta = context.metadata(object, kind: kind.rawValue) else { return }
    let location = context.location(object)
    let ns = namespace(meta)
    guard builder.register(kind: kind.rawValue, namespace: ns, name: meta.name, at: location) else {
      return
    }
    let spec = context.mapping(object["spec"], "spec")
    var replicas = 1
    switch kind {
    case .deployment, .replicaSet, .replicationController, .statefulSet:
      if let value = context.int(spec?["replicas"], "spec.replicas") {
        if value < 0 {
          if let node = spec?["replicas"] {
            context.error(.invalidValue, "spec.replicas must not be negative", at: node)
          }
        } else {
          replicas = value
        }
      }
    default:
      break
    }
    var templateNode: YNode?
    if kind == .cronJob {
      let jobTemplate = context.mapping(spec?["jobTemplate"], "spec.jobTemplate")
      let jobSpec = context.mapping(jobTemplate?["spec"], "spec.jobTemplate.spec")
      templateNode = context.mapping(jobSpec?["template"], "spec.jobTemplate.spec.template")
    } else {
      templateNode = context.mapping(spec?["template"], "spec.template")
    }
    var selector: LabelSelector?
    if kind == .replicationController {
      // A ReplicationController's selector is a plain map of labels.
      selector = context.stringMap(spec?["selector"], "spec.selector").map {
        LabelSelector(matchLabels: $0)
      }
    } else if kind != .cronJob, let node = spec?["selector"] {
      context.checkFields(node, .labelSelector, path: "spec.selector")
      selector = context.labelSelector(node, "spec.selector")
    }
    let templateMeta = context.mapping(templateNode?["metadata"], "spec.template.metadata")
    var template = podSpec(
      context.mapping(templateNode?["spec"], "spec.template.spec"), field: "spec.template.spec")
    template.labels =
      context.stringMap(templateMeta?["labels"], "spec.template.metadata.labels") ?? [:]
    template.annotations =
      context.stringMap(templateMeta?["annotations"], "spec.template.metadata.annotations") ?? [:]
    builder.add(
      workload: WorkloadObject(
        kind: kind, namespace: ns, name: meta.name, template: template, replicas: replicas,
        location: location,
        owner: controller(object), selector: selector))
  }

  private func decodePod(_ object: YNode) {
    guard let meta = context.metadata(object, kind: "Pod") else { return }
    let location = context.location(object)
    let ns = namespace(meta)
    guard builder.register(kind: "Pod", namespace: ns, name: meta.name, at: location) else {
      return
    }
    var spec = podSpec(context.mapping(object["spec"], "spec"), field: "spec")
    spec.labels = meta.labels
    spec.annotations = meta.annotations
    let status = context.mapping(object["status"], "status")
    var ips: [IPAddress] = []
    var texts: [(String, YNode)] = []
    if let node = status?["podIP"], let text = context.string(node, "status.podIP") {
      texts.append((text, node))
    }
    for item in context.list(status?["podIPs"], "status.podIPs") ?? [] {
      if let entry = context.mapping(item, "status.podIPs[]"), let node = entry["ip"],
        let text = context.string(node, "status.podIPs[].ip")
      {
        texts.append((text, node))
      }
    }
    for (text, node) in texts where !text.isEmpty {
      if let ip = IPAddress(text) {
        if !ips.contains(ip) { ips.append(ip) }
      } else {
        context.warning(.invalidIP, "'\(text)' is not an IP address; ignored", at: node)
      }
    }
    builder.add(
      pod: PodObject(
        namespace: ns, name: meta.name, spec: spec, ips: ips, owner: controller(object),
        location: location))
  }

  /// The controlling owner reference (`controller: true`), ignoring Node owners.
  private func controller(_ object: YNode) -> (kind: String, name: String)? {
    let meta = context.mapping(object["metadata"], "metadata")
    for item in context.list(meta?["ownerReferences"], "metadata.ownerReferences") ?? [] {
      guard let ref = context.mapping(item, "metadata.ownerReferences[]") else { continue }
      guard context.bool(ref["controller"], "ownerReferences[].controller") == true else {
        continue
      }
      let kind = context.string(ref["kind"], "ownerReferences[].kind") ?? ""
      let name = context.string(ref["name"], "ownerReferences[].name") ?? ""
      if kind == "Node" || name.isEmpty { return nil }
      return (kind, name)
    }
    return nil
  }

  /// Container ports, service account and host networking of a pod spec.
  private func podSpec(_ spec: YNode?, field: String) -> PodSpecInfo {
    var info = PodSpecInfo()
    guard let spec else { return info }
    if let sa = context.string(spec["serviceAccountName"], "\(field).serviceAccountName")
      ?? context.string(spec["serviceAccount"], "\(field).serviceAccount"), !sa.isEmpty
    {
      info.serviceAccount = sa
    }
    info.hostNetwork = context.bool(spec["hostNetwork"], "\(field).hostNetwork") ?? false
    for container in context.list(spec["containers"], "\(field).containers") ?? [] {
      guard let c = context.mapping(container, "\(field).containers[]") else { continue }
      if let name = context.string(c["name"], "\(field).containers[].name") {
        info.containers.append(name)
      }
      for portNode in context.list(c["ports"], "\(field).containers[].ports") ?? [] {
        guard let p = context.mapping(portNode, "\(field).containers[].ports[]") else { continue }
        context.checkFields(p, .containerPort, path: "\(field).containers[].ports[]", warnOnly: true)
        guard let portNode = p["containerPort"], !portNode.isNull else {
          context.warning(
            .missingField, "\(field).containers[].ports[]: containerPort is missing; ignored",
            at: p)
          continue
        }
        guard let number = context.portNumber(portNode, "containerPort", at: p) else { continue }
        let name = context.string(p["name"], "ports[].name").flatMap { $0.isEmpty ? nil : $0 }
        guard let proto = context.transportProtocol(p["protocol"], "ports[].protocol") else {
          continue
        }
        info.ports.append(ContainerPort(name: name, port: number, protocol: proto))
      }
    }
    return info
  }

  // MARK: - Services, Ingresses, Routes

  private func decodeService(_ object: YNode) {
    guard let meta = context.metadata(object, kind: "Service") else { return }
    let location = context.location(object)
    let ns = namespace(meta)
    guard builder.register(kind: "Service", namespace: ns, name: meta.name, at: location) else {
      return
    }
    let spec = context.mapping(object["spec"], "spec")
    let selector = context.stringMap(spec?["selector"], "spec.selector")
    var type = Service.ServiceType.clusterIP
    if let node = spec?["type"], let text = context.string(node, "spec.type") {
      if let value = Service.ServiceType(rawValue: text) {
        type = value
      } else {
        context.error(.invalidValue, "spec.type: unknown Service type '\(text)'", at: node)
      }
    }
    var ports: [ServicePort] = []
    for item in context.list(spec?["ports"], "spec.ports") ?? [] {
      guard let p = context.mapping(item, "spec.ports[]") else { continue }
      context.checkFields(p, .servicePort, path: "spec.ports[]", warnOnly: true)
      guard let port = context.portNumber(p["port"], "spec.ports[].port", at: p),
        let proto = context.transportProtocol(p["protocol"], "spec.ports[].protocol")
      else { continue }
      var target = context.intOrString(p["targetPort"], "spec.ports[].targetPort")
      if case .number(let n)? = target, !(1...65535).contains(n), let node = p["targetPort"] {
        context.error(
          .invalidPort, "spec.ports[].targetPort: port \(n) is outside 1-65535", at: node)
        target = nil
      }
      ports.append(
        ServicePort(
          name: context.string(p["name"], "spec.ports[].name").flatMap { $0.isEmpty ? nil : $0 },
          port: port,
          targetPort: target, protocol: proto,
          nodePort: context.int(p["nodePort"], "spec.ports[].nodePort"),
          appProtocol: context.string(p["appProtocol"], "spec.ports[].appProtocol")))
    }
    let local =
      context.string(spec?["externalTrafficPolicy"], "spec.externalTrafficPolicy") == "Local"
    builder.add(
      service: Service(
        namespace: ns, name: meta.name, selector: selector, type: type, ports: ports,
        externalTrafficPolicyLocal: local, labels: meta.labels, location: location))
  }

  private func decodeIngress(_ object: YNode) {
    guard let meta = context.metadata(object, kind: "Ingress") else { return }
    let location = context.location(object)
    let ns = namespace(meta)
    guard builder.register(kind: "Ingress", namespace: ns, name: meta.name, at: location) else {
      return
    }
    let spec = context.mapping(object["spec"], "spec")
    var backends: [ServiceBackend] = []
    func add(_ node: YNode?, _ field: String) {
      guard let backend = context.mapping(node, field) else { return }
      if let service = context.mapping(backend["service"], "\(field).service") {
        guard let name = context.string(service["name"], "\(field).service.name") else { return }
        let port = context.mapping(service["port"], "\(field).service.port")
        var value: PortValue?
        if let number = context.int(port?["number"], "\(field).service.port.number") {
          value = .number(number)
        } else if let portName = context.string(port?["name"], "\(field).service.port.name") {
          value = .name(portName)
        }
        backends.append(ServiceBackend(service: name, port: value))
      } else if let name = context.string(backend["serviceName"], "\(field).serviceName") {
        backends.append(
          ServiceBackend(
            service: name, port: context.intOrString(backend["servicePort"], "\(field).servicePort")
          ))
      }
    }
    add(spec?["defaultBackend"], "spec.defaultBackend")
    add(spec?["backend"], "spec.backend")
    for rule in context.list(spec?["rules"], "spec.rules") ?? [] {
      guard let r = context.mapping(rule, "spec.rules[]") else { continue }
      let http = context.mapping(r["http"], "spec.rules[].http")
      for path in context.list(http?["paths"], "spec.rules[].http.paths") ?? [] {
        guard let p = context.mapping(path, "spec.rules[].http.paths[]") else { continue }
        add(p["backend"], "spec.rules[].http.paths[].backend")
      }
    }
    builder.add(
      ingress: IngressRoute(
        kind: .ingress, namespace: ns, name: meta.name, backends: backends, location: location))
  }

  private func decodeRoute(_ object: YNode) {
    guard let meta = context.metadata(object, kind: "Route") else { return }
    let location = context.location(object)
    let ns = namespace(meta)
    guard builder.register(kind: "Route", namespace: ns, name: meta.name, at: location) else {
      return
    }
    let spec = context.mapping(object["spec"], "spec")
    let portNode = context.mapping(spec?["port"], "spec.port")
    let port = context.intOrString(portNode?["targetPort"], "spec.port.targetPort")
    var backends: [ServiceBackend] = []
    func add(_ node: YNode, _ field: String) {
      guard let target = context.mapping(node, field) else { return }
      let kind = context.string(target["kind"], "\(field).kind") ?? "Service"
      guard kind == "Service", let name = context.string(target["name"], "\(field).name") else {
        return
      }
      backends.append(ServiceBackend(service: name, port: port))
    }
    if let to = spec?["to"] { add(to, "spec.to") }
    for item in context.list(spec?["alternateBackends"], "spec.alternateBackends") ?? [] {
      add(item, "spec.alternateBackends[]")
    }
    builder.add(
      ingress: IngressRoute(
        kind: .route, namespace: ns, name: meta.name, backends: backends, location: location))
  }
}
