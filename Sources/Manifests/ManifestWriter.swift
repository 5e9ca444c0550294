import KubeModel

/// Writes a `Cluster` back as Kubernetes manifests, such that loading them gives the same model
/// (up to source locations).
public enum ManifestWriter {
  /// A multi-document YAML stream of every object of the cluster.
  public static func yaml(for cluster: Cluster) -> String {
    YAMLEmitter.emit(documents(for: cluster))
  }

  /// The manifests of the cluster as value trees, one per object.
  public static func documents(for cluster: Cluster) -> [YAMLValue] {
    var docs: [YAMLValue] = []
    for ns in cluster.namespaces where ns.declared {
      var labels = ns.labels
      if labels[namespaceNameLabel] == ns.name { labels[namespaceNameLabel] = nil }
      docs.append(
        object("v1", "Namespace", name: ns.name, namespace: nil, labels: labels, spec: nil))
    }
    var podsByWorkload = Array(repeating: [Pod](), count: cluster.workloads.count)
    for pod in cluster.pods where podsByWorkload.indices.contains(pod.workload) {
      podsByWorkload[pod.workload].append(pod)
    }
    for (index, workload) in cluster.workloads.enumerated() {
      docs += workloadDocuments(workload, pods: podsByWorkload[index])
    }
    docs += cluster.services.map(service)
    docs += cluster.ingresses.map(ingress)
    docs += cluster.networkPolicies.map(networkPolicy)
    docs += cluster.adminNetworkPolicies.map(adminPolicy)
    docs += cluster.baselineAdminNetworkPolicies.map(adminPolicy)
    docs += cluster.peerAuthentications.map { peerAuthentication($0) }
    docs += cluster.destinationRules.map(destinationRule)
    docs += cluster.authorizationPolicies.map { authorizationPolicy($0) }
    docs += cluster.waypoints.map(waypoint)
    return docs
  }

  // MARK: - Helpers

  private static func object(
    _ apiVersion: String, _ kind: String, name: String, namespace: String?,
    labels: [String: String] = [:],
    extraMetadata: [YAMLEntry] = [], spec: YAMLValue?, rest: [YAMLEntry] = []
  ) -> YAMLValue {
    var meta = [YAMLEntry("name", .string(name))]
    if let namespace { meta.append(YAMLEntry("namespace", .string(namespace))) }
    if !labels.isEmpty { meta.append(YAMLEntry("labels", .stringMap(labels))) }
    meta += extraMetadata
    var entries = [
      YAMLEntry("apiVersion", .string(apiVersion)), YAMLEntry("kind", .string(kind)),
      YAMLEntry("metadata", .mapping(meta)),
    ]
    if let spec { entries.append(YAMLEntry("spec", spec)) }
    return .mapping(entries + rest)
  }

  private static func selector(_ s: LabelSelector) -> YAMLValue {
    var entries: [YAMLEntry] = []
    if !s.matchLabels.isEmpty {
      entries.append(YAMLEntry("matchLabels", .stringMap(s.matchLabels)))
    }
    if !s.matchExpressions.isEmpty {
      entries.append(
        YAMLEntry(
          "matchExpressions",
          .sequence(
            s.matchExpressions.map { r in
              var e = [
                YAMLEntry("key", .string(r.key)),
                YAMLEntry("operator", .string(r.operator.rawValue)),
              ]
              if !r.values.isEmpty {
                e.append(YAMLEntry("values", .sequence(r.values.map { .string($0) })))
              }
              return .mapping(e)
            })))
    }
    return .mapping(entries)
  }

  private static func portValue(_ p: PortValue) -> YAMLValue {
    switch p {
    case .number(let n): .int(n)
    case .name(let s): .string(s)
    }
  }

  // MARK: - Workloads

  private static func apiVersion(_ kind: WorkloadKind) -> String {
    switch kind {
    case .pod, .replicationController: "v1"
    case .job, .cronJob: "batch/v1"
    case .deployment, .replicaSet, .statefulSet, .daemonSet: "apps/v1"
    }
  }

  private static func podSpec(_ pod: Pod) -> YAMLValue {
    var ports: [YAMLEntry] = []
    if !pod.ports.isEmpty {
      ports.append(
        YAMLEntry(
          "ports",
          .sequence(
            pod.ports.map { p in
              var e: [YAMLEntry] = []
              if let name = p.name { e.append(YAMLEntry("name", .string(name))) }
              e.append(YAMLEntry("containerPort", .int(p.port)))
              e.append(YAMLEntry("protocol", .string(p.protocol.rawValue)))
              return .mapping(e)
            })))
    }
    // Containers by their names, the ports on the first; a model without container names
    // gets one nameless container, so that nothing is invented.
    let names: [String?] = pod.containers.isEmpty ? [nil] : pod.containers
    let containers: [YAMLValue] = names.enumerated().map { i, name in
      var container: [YAMLEntry] = []
      if let name { container.append(YAMLEntry("name", .string(name))) }
      if i == 0 { container += ports }
      return .mapping(container)
    }
    var spec = [YAMLEntry("containers", .sequence(containers))]
    if pod.serviceAccount != "default" {
      spec.append(YAMLEntry("serviceAccountName", .string(pod.serviceAccount)))
    }
    if pod.hostNetwork { spec.append(YAMLEntry("hostNetwork", .bool(true))) }
    return .mapping(spec)
  }

  /// A workload whose pods look as the loader makes them from a template is written as the
  /// workload object; otherwise its pods are written, owned by the workload.
  private static func workloadDocuments(_ w: Workload, pods: [Pod]) -> [YAMLValue] {
    guard let first = pods.first else { return [] }
    let templated =
      w.kind != .pod && first.labels == w.podLabels
      && pods.enumerated().allSatisfy { i, p in
        p.name == "\(w.name)-\(i)" && p.ips.isEmpty && p.labels == first.labels
          && p.ports == first.ports && p.annotations == first.annotations
          && p.containers == first.containers
          && p.serviceAccount == first.serviceAccount && p.hostNetwork == first.hostNetwork
      }
    let singlePodKind = w.kind == .daemonSet || w.kind == .job || w.kind == .cronJob
    if templated && (!singlePodKind || pods.count == 1) {
      return [workloadObject(w, template: first, replicas: pods.count)]
    }
    var docs: [YAMLValue] = []
    if w.kind != .pod && first.labels != w.podLabels {
      docs.append(workloadObject(w, template: first, replicas: pods.count))
    }
    // Pods grouped under an owner reference without a kind load as one `Pod` workload named
    // after the owner.
    let kindlessOwner = w.kind == .pod && (pods.count > 1 || first.name != w.name)
    for pod in pods {
      var extra: [YAMLEntry] = []
      if kindlessOwner {
        extra.append(
          YAMLEntry(
            "ownerReferences",
            .sequence([.map(["name": .string(w.name), "controller": .bool(true)])])))
      } else if w.kind != .pod {
        extra.append(
          YAMLEntry(
            "ownerReferences",
            .sequence([
              .map([
                "apiVersion": .string(apiVersion(w.kind)), "kind": .string(w.kind.rawValue),
                "name": .string(w.name), "controller": .bool(true),
              ])
            ])))
      }
      if !pod.annotations.isEmpty {
        extra.append(YAMLEntry("annotations", .stringMap(pod.annotations)))
      }
      var rest: [YAMLEntry] = []
      if !pod.ips.isEmpty {
        rest.append(
          YAMLEntry(
            "status",
            .map([
              "podIP": .string(pod.ips[0].description),
              "podIPs": .sequence(pod.ips.map { .map(["ip": .string($0.description)]) }),
            ])))
      }
      docs.append(
        object(
          "v1", "Pod", name: pod.name, namespace: pod.namespace, labels: pod.labels,
          extraMetadata: extra,
          spec: podSpec(pod), rest: rest))
    }
    return docs
  }

  private static func workloadObject(_ w: Workload, template: Pod, replicas: Int) -> YAMLValue {
    var templateMeta = [YAMLEntry("labels", .stringMap(w.podLabels))]
    if !template.annotations.isEmpty {
      templateMeta.append(YAMLEntry("annotations", .stringMap(template.annotations)))
    }
    let templateValue = YAMLValue.mapping([
      YAMLEntry("metadata", .mapping(templateMeta)), YAMLEntry("spec", podSpec(template)),
    ])
    var spec: [YAMLEntry] = []
    switch w.kind {
    case .deployment, .replicaSet, .replicationController, .statefulSet:
      spec.append(YAMLEntry("replicas", .int(replicas)))
      spec.append(YAMLEntry("template", templateValue))
    case .cronJob:
      spec.append(YAMLEntry("schedule", .string("* * * * *")))
      spec.append(YAMLEntry("jobTemplate", .map(["spec": .map(["template": templateValue])])))
    case .daemonSet, .job, .pod:
      spec.append(YAMLEntry("template", templateValue))
    }
    return object(
      apiVersion(w.kind), w.kind.rawValue, name: w.name, namespace: w.namespace,
      spec: .mapping(spec))
  }

  // MARK: - Services and ingress

  private static func service(_ s: Service) -> YAMLValue {
    var spec: [YAMLEntry] = [YAMLEntry("type", .string(s.type.rawValue))]
    if let selector = s.selector { spec.append(YAMLEntry("selector", .stringMap(selector))) }
    if !s.ports.isEmpty {
      spec.append(
        YAMLEntry(
          "ports",
          .sequence(
            s.ports.map { p in
              var e: [YAMLEntry] = []
              if let name = p.name { e.append(YAMLEntry("name", .string(name))) }
              e.append(YAMLEntry("port", .int(p.port)))
              e.append(YAMLEntry("targetPort", portValue(p.targetPort)))
              e.append(YAMLEntry("protocol", .string(p.protocol.rawValue)))
              if let nodePort = p.nodePort { e.append(YAMLEntry("nodePort", .int(nodePort))) }
              if let app = p.appProtocol { e.append(YAMLEntry("appProtocol", .string(app))) }
              return .mapping(e)
            })))
    }
    if s.externalTrafficPolicyLocal {
      spec.append(YAMLEntry("externalTrafficPolicy", .string("Local")))
    }
    return object(
      "v1", "Service", name: s.name, namespace: s.namespace, labels: s.labels, spec: .mapping(spec))
  }

  private static func ingress(_ i: IngressRoute) -> YAMLValue {
    switch i.kind {
    case .ingress:
      let paths: [YAMLValue] = i.backends.map { b in
        var service = [YAMLEntry("name", .string(b.service))]
        switch b.port {
        case .number(let n)?: service.append(YAMLEntry("port", .map(["number": .int(n)])))
        case .name(let s)?: service.append(YAMLEntry("port", .map(["name": .string(s)])))
        case nil: break
        }
        return .map([
          "path": .string("/"), "pathType": .string("Prefix"),
          "backend": .map(["service": .mapping(service)]),
        ])
      }
      let spec: YAMLValue =
        paths.isEmpty
        ? .mapping([])
        : .map(["rules": .sequence([.map(["http": .map(["paths": .sequence(paths)])])])])
      return object(
        "networking.k8s.io/v1", "Ingress", name: i.name, namespace: i.namespace, spec: spec)
    case .route:
      var spec: [YAMLEntry] = []
      if let first = i.backends.first {
        spec.append(
          YAMLEntry("to", .map(["kind": .string("Service"), "name": .string(first.service)])))
        if let port = first.port {
          spec.append(YAMLEntry("port", .map(["targetPort": portValue(port)])))
        }
      }
      if i.backends.count > 1 {
        spec.append(
          YAMLEntry(
            "alternateBackends",
            .sequence(
              i.backends.dropFirst().map {
                .map(["kind": .string("Service"), "name": .string($0.service)])
              })))
      }
      return object(
        "route.openshift.io/v1", "Route", name: i.name, namespace: i.namespace, spec: .mapping(spec)
      )
    }
  }

  // MARK: - Policies

  /// One NetworkPolicy as a manifest, with `metadata.annotations` (sorted) when given.
  public static func document(for np: NetworkPolicy, annotations: [String: String] = [:]) -> YAMLValue {
    networkPolicy(np, annotations: annotations)
  }

  private static func networkPolicy(_ np: NetworkPolicy) -> YAMLValue { networkPolicy(np, annotations: [:]) }

  private static func networkPolicy(_ np: NetworkPolicy, annotations: [String: String]) -> YAMLValue {
    func peer(_ p: NetworkPolicyPeer) -> YAMLValue {
      switch p {
      case .selector(let pods, let namespaces):
        var e: [YAMLEntry] = []
        if let pods { e.append(YAMLEntry("podSelector", selector(pods))) }
        if let namespaces { e.append(YAMLEntry("namespaceSelector", selector(namespaces))) }
        return .mapping(e)
      case .ipBlock(let block):
        var e = [YAMLEntry("cidr", .string(block.cidr.description))]
        if !block.except.isEmpty {
          e.append(YAMLEntry("except", .sequence(block.except.map { .string($0.description) })))
        }
        return .map(["ipBlock": .mapping(e)])
      }
    }
    func rule(_ r: NetworkPolicyRule, peersKey: String) -> YAMLValue {
      var e: [YAMLEntry] = []
      if !r.peers.isEmpty { e.append(YAMLEntry(peersKey, .sequence(r.peers.map(peer)))) }
      if !r.ports.isEmpty {
        e.append(
          YAMLEntry(
            "ports",
            .sequence(
              r.ports.map { p in
                var pe = [YAMLEntry("protocol", .string(p.protocol.rawValue))]
                if let port = p.port { pe.append(YAMLEntry("port", portValue(port))) }
                if let end = p.endPort { pe.append(YAMLEntry("endPort", .int(end))) }
                return .mapping(pe)
              })))
      }
      return .mapping(e)
    }
    var types: [YAMLValue] = []
    if np.isolatesIngress { types.append(.string("Ingress")) }
    if np.isolatesEgress { types.append(.string("Egress")) }
    var spec = [YAMLEntry("podSelector", selector(np.podSelector))]
    if !np.ingress.isEmpty {
      spec.append(YAMLEntry("ingress", .sequence(np.ingress.map { rule($0, peersKey: "from") })))
    }
    if !np.egress.isEmpty {
      spec.append(YAMLEntry("egress", .sequence(np.egress.map { rule($0, peersKey: "to") })))
    }
    if !types.isEmpty { spec.append(YAMLEntry("policyTypes", .sequence(types))) }
    return object(
      "networking.k8s.io/v1", "NetworkPolicy", name: np.name, namespace: np.namespace,
      extraMetadata: annotationEntries(annotations),
      spec: .mapping(spec))
  }

  private static func podSet(_ set: AdminPodSet) -> YAMLValue {
    switch set {
    case .namespaces(let s): .map(["namespaces": selector(s)])
    case .pods(let ns, let pods):
      .map(["pods": .map(["namespaceSelector": selector(ns), "podSelector": selector(pods)])])
    }
  }

  private static func adminPolicy(_ p: AdminNetworkPolicy) -> YAMLValue {
    func rule(_ r: AdminPolicyRule, peersKey: String) -> YAMLValue {
      var e = [YAMLEntry("name", .string(r.name)), YAMLEntry("action", .string(r.action.rawValue))]
      e.append(
        YAMLEntry(
          peersKey,
          .sequence(
            r.peers.map { peer in
              switch peer {
              case .pods(let set): podSet(set)
              case .networks(let cidrs):
                .map(["networks": .sequence(cidrs.map { .string($0.description) })])
              case .nodes(let s): .map(["nodes": selector(s)])
              }
            })))
      if let ports = r.ports {
        e.append(
          YAMLEntry(
            "ports",
            .sequence(
              ports.map { port in
                switch port {
                case .number(let proto, let n):
                  .map(["portNumber": .map(["protocol": .string(proto.rawValue), "port": .int(n)])])
                case .named(let name): .map(["namedPort": .string(name)])
                case .range(let proto, let a, let b):
                  .map([
                    "portRange": .map([
                      "protocol": .string(proto.rawValue), "start": .int(a), "end": .int(b),
                    ])
                  ])
                }
              })))
      }
      return .mapping(e)
    }
    var spec: [YAMLEntry] = []
    if !p.isBaseline { spec.append(YAMLEntry("priority", .int(p.priority))) }
    spec.append(YAMLEntry("subject", podSet(p.subject)))
    if !p.ingress.isEmpty {
      spec.append(YAMLEntry("ingress", .sequence(p.ingress.map { rule($0, peersKey: "from") })))
    }
    if !p.egress.isEmpty {
      spec.append(YAMLEntry("egress", .sequence(p.egress.map { rule($0, peersKey: "to") })))
    }
    return object(
      "policy.networking.k8s.io/v1alpha1", p.kindName, name: p.name, namespace: nil,
      spec: .mapping(spec))
  }

  private static func istioSelector(_ labels: [String: String]?) -> [YAMLEntry] {
    guard let labels else { return [] }
    return [YAMLEntry("selector", .map(["matchLabels": .stringMap(labels)]))]
  }

  private static func created(_ timestamp: String?) -> [YAMLEntry] {
    timestamp.map { [YAMLEntry("creationTimestamp", .string($0))] } ?? []
  }

  /// One PeerAuthentication as a manifest, with `metadata.annotations` (sorted) when given.
  public static func document(for p: PeerAuthentication, annotations: [String: String] = [:]) -> YAMLValue {
    peerAuthentication(p, annotations: annotations)
  }

  /// One AuthorizationPolicy as a manifest, with `metadata.annotations` (sorted) when given.
  public static func document(for a: AuthorizationPolicy, annotations: [String: String] = [:]) -> YAMLValue {
    authorizationPolicy(a, annotations: annotations)
  }

  private static func annotationEntries(_ annotations: [String: String]) -> [YAMLEntry] {
    annotations.isEmpty ? [] : [YAMLEntry("annotations", .stringMap(annotations))]
  }

  private static func peerAuthentication(_ p: PeerAuthentication, annotations: [String: String] = [:]) -> YAMLValue {
    var spec = istioSelector(p.selector)
    if let mode = p.mode { spec.append(YAMLEntry("mtls", .map(["mode": .string(mode.rawValue)]))) }
    if !p.portModes.isEmpty {
      spec.append(
        YAMLEntry(
          "portLevelMtls",
          .mapping(
            p.portModes.keys.sorted().map { port in
              let mode = p.portModes[port] ?? nil
              return YAMLEntry(
                String(port), .mapping(mode.map { [YAMLEntry("mode", .string($0.rawValue))] } ?? []))
            })))
    }
    return object(
      "security.istio.io/v1", "PeerAuthentication", name: p.name, namespace: p.namespace,
      extraMetadata: created(p.creationTimestamp) + annotationEntries(annotations), spec: .mapping(spec))
  }

  /// A waypoint Gateway with the HBONE listener Istio's own `istioctl waypoint generate` writes.
  private static func waypoint(_ w: WaypointGateway) -> YAMLValue {
    var entries = [
      YAMLEntry("name", .string("mesh")), YAMLEntry("port", .int(15008)), YAMLEntry("protocol", .string("HBONE")),
    ]
    switch w.allowedNamespaces {
    case .same: break
    case .all:
      entries.append(YAMLEntry("allowedRoutes", .mapping([YAMLEntry("namespaces", .map(["from": .string("All")]))])))
    case .selector(let s):
      entries.append(
        YAMLEntry(
          "allowedRoutes",
          .mapping([
            YAMLEntry(
              "namespaces", .mapping([YAMLEntry("from", .string("Selector")), YAMLEntry("selector", selector(s))]))
          ])))
    }
    let listener: YAMLValue = .mapping(entries)
    return object(
      "gateway.networking.k8s.io/v1", "Gateway", name: w.name, namespace: w.namespace,
      labels: w.waypointFor.map { [IstioLabel.waypointFor: $0] } ?? [:],
      spec: .mapping([
        YAMLEntry("gatewayClassName", .string(w.gatewayClassName)), YAMLEntry("listeners", .sequence([listener])),
      ]))
  }

  private static func destinationRule(_ d: DestinationRule) -> YAMLValue {
    var policy: [YAMLEntry] = []
    if let mode = d.tlsMode {
      policy.append(YAMLEntry("tls", .map(["mode": .string(mode.rawValue)])))
    }
    if !d.portTLSModes.isEmpty {
      policy.append(
        YAMLEntry(
          "portLevelSettings",
          .sequence(
            d.portTLSModes.keys.sorted().map { port in
              var e = [YAMLEntry("port", .map(["number": .int(port)]))]
              if let mode = d.portTLSModes[port] ?? nil {
                e.append(YAMLEntry("tls", .map(["mode": .string(mode.rawValue)])))
              }
              return .mapping(e)
            })))
    }
    var spec = [YAMLEntry("host", .string(d.host))]
    if !policy.isEmpty { spec.append(YAMLEntry("trafficPolicy", .mapping(policy))) }
    return object(
      "networking.istio.io/v1", "DestinationRule", name: d.name, namespace: d.namespace,
      extraMetadata: created(d.creationTimestamp), spec: .mapping(spec))
  }

  private static func authorizationPolicy(_ a: AuthorizationPolicy, annotations: [String: String] = [:]) -> YAMLValue {
    func strings(_ key: String, _ values: [String]?) -> [YAMLEntry] {
      guard let values else { return [] }
      return [YAMLEntry(key, .sequence(values.map { .string($0) }))]
    }
    var spec = istioSelector(a.selector)
    if !a.targetRefs.isEmpty {
      spec.append(
        YAMLEntry(
          "targetRefs",
          .sequence(
            a.targetRefs.map { r in
              var e: [YAMLEntry] = []
              if !r.group.isEmpty { e.append(YAMLEntry("group", .string(r.group))) }
              e.append(YAMLEntry("kind", .string(r.kind)))
              e.append(YAMLEntry("name", .string(r.name)))
              if let ns = r.namespace { e.append(YAMLEntry("namespace", .string(ns))) }
              return .mapping(e)
            })))
    }
    spec.append(YAMLEntry("action", .string(a.action.rawValue)))
    if let provider = a.provider {
      spec.append(YAMLEntry("provider", .map(["name": .string(provider)])))
    }
    if let rules = a.rules {
      spec.append(
        YAMLEntry(
          "rules",
          .sequence(
            rules.map { r in
              var e: [YAMLEntry] = []
              if !r.from.isEmpty {
                e.append(
                  YAMLEntry(
                    "from",
                    .sequence(
                      r.from.map { s in
                        let source =
                          strings("principals", s.principals)
                          + strings("notPrincipals", s.notPrincipals)
                          + strings("requestPrincipals", s.requestPrincipals)
                          + strings("notRequestPrincipals", s.notRequestPrincipals)
                          + strings("namespaces", s.namespaces)
                          + strings("notNamespaces", s.notNamespaces)
                          + strings("ipBlocks", s.ipBlocks) + strings("notIpBlocks", s.notIpBlocks)
                          + strings("remoteIpBlocks", s.remoteIpBlocks)
                          + strings("notRemoteIpBlocks", s.notRemoteIpBlocks)
                        return .map(["source": .mapping(source)])
                      })))
              }
              if !r.to.isEmpty {
                e.append(
                  YAMLEntry(
                    "to",
                    .sequence(
                      r.to.map { o in
                        let operation =
                          strings("hosts", o.hosts) + strings("notHosts", o.notHosts)
                          + strings("ports", o.ports) + strings("notPorts", o.notPorts)
                          + strings("methods", o.methods) + strings("notMethods", o.notMethods)
                          + strings("paths", o.paths) + strings("notPaths", o.notPaths)
                        return .map(["operation": .mapping(operation)])
                      })))
              }
              if !r.when.isEmpty {
                e.append(
                  YAMLEntry(
                    "when",
                    .sequence(
                      r.when.map { c in
                        .mapping(
                          [YAMLEntry("key", .string(c.key))] + strings("values", c.values)
                            + strings("notValues", c.notValues))
                      })))
              }
              return .mapping(e)
            })))
    }
    return object(
      "security.istio.io/v1", "AuthorizationPolicy", name: a.name, namespace: a.namespace,
      extraMetadata: created(a.creationTimestamp) + annotationEntries(annotations), spec: .mapping(spec))
  }
}
