import KubeModel

/// A pod template as read from a workload object or a Pod.
struct PodSpecInfo {
  var labels: [String: String] = [:]
  var annotations: [String: String] = [:]
  var containers: [String] = []
  var ports: [ContainerPort] = []
  var serviceAccount: String = "default"
  var hostNetwork: Bool = false
}

/// A workload object (Deployment, StatefulSet, ...) as read, before pods are made.
struct WorkloadObject {
  var kind: WorkloadKind
  var namespace: String
  var name: String
  var template: PodSpecInfo
  var replicas: Int
  var location: SourceLocation
  /// The controlling owner (kind, name), for a ReplicaSet made by a Deployment.
  var owner: (kind: String, name: String)?
  /// `spec.selector`, when the object has one.
  var selector: LabelSelector? = nil
}

/// A Pod object as read.
struct PodObject {
  var namespace: String
  var name: String
  var spec: PodSpecInfo
  var ips: [IPAddress]
  var owner: (kind: String, name: String)?
  var location: SourceLocation
}

/// Collects decoded objects in input order and assembles the `Cluster`: groups pods by owner,
/// expands workload objects into pods, creates referenced namespaces and checks cross-object rules
/// (duplicates, admin policy priorities, the single baseline policy).
final class ClusterBuilder {
  private struct ObjectKey: Hashable {
    var kind: String
    var namespace: String
    var name: String
  }

  private enum PodSource {
    case workload(Int)
    case pod(Int)
  }

  private let options: LoadOptions
  private var cluster = Cluster()
  private var declaredNamespaces: [String: Namespace] = [:]
  private var referencedNamespaces: [String: SourceLocation] = [:]
  private var workloadObjects: [WorkloadObject] = []
  private var podObjects: [PodObject] = []
  private var sources: [PodSource] = []
  private var seen: [ObjectKey: (location: SourceLocation, fingerprint: UInt64)] = [:]
  private(set) var diagnostics: [Diagnostic] = []
  var skippedKinds: [String: Int] = [:]
  /// Objects of policy kinds that are read past without being evaluated, by kind.
  private(set) var unevaluatedKinds: [String: Int] = [:]
  /// The fingerprint of the object being decoded (set by the object decoder before it registers).
  var currentFingerprint: UInt64 = 0

  init(options: LoadOptions) {
    self.options = options
  }

  /// Kinds whose duplicates make the input ambiguous (an error); a duplicate of another kind is
  /// ignored with a warning, as netpol-analyzer does.
  private static let strictKinds: Set<String> = [
    "Namespace", "NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
    "PeerAuthentication",
    "DestinationRule", "AuthorizationPolicy",
  ]

  /// Records an object's identity; false (with a diagnostic) when the same kind, namespace and
  /// name was already read. A second declaration that agrees with the first on everything the
  /// analysis reads (`currentFingerprint`; annotations may differ) is a warning and read once;
  /// one that differs is an error for policies and namespaces, naming both places. Files are
  /// read in sorted order, so which declaration is kept does not depend on the command line.
  func register(kind: String, namespace: String, name: String, at location: SourceLocation) -> Bool {
    let key = ObjectKey(kind: kind, namespace: namespace, name: name)
    if let first = seen[key] {
      let qualified = namespace.isEmpty ? name : "\(namespace)/\(name)"
      let (a, b) = (min(first.location, location), max(first.location, location))
      if first.fingerprint == currentFingerprint {
        diagnostics.append(
          .warning(
            .duplicateObject,
            "\(kind) '\(qualified)' is declared twice with the same content (at \(a) and \(b)); "
              + "read once",
            at: location))
      } else if ClusterBuilder.strictKinds.contains(kind) {
        diagnostics.append(
          .error(
            .duplicateObject,
            "\(kind) '\(qualified)' is defined twice, differently (at \(a) and \(b))",
            at: location))
      } else {
        diagnostics.append(
          .warning(
            .duplicateObject,
            "\(kind) '\(qualified)' is defined more than once (first at \(first.location)); "
              + "this one is ignored",
            at: location))
      }
      return false
    }
    seen[key] = (location, currentFingerprint)
    return true
  }

  /// Counts an object of a policy kind that is not evaluated.
  func unevaluated(kind: String) { unevaluatedKinds[kind, default: 0] += 1 }

  func reference(namespace: String, at location: SourceLocation) {
    if referencedNamespaces[namespace] == nil { referencedNamespaces[namespace] = location }
  }

  func skip(kind: String) { skippedKinds[kind, default: 0] += 1 }

  func add(namespace: Namespace) { declaredNamespaces[namespace.name] = namespace }

  func add(workload: WorkloadObject) {
    reference(namespace: workload.namespace, at: workload.location)
    sources.append(.workload(workloadObjects.count))
    workloadObjects.append(workload)
  }

  func add(pod: PodObject) {
    reference(namespace: pod.namespace, at: pod.location)
    sources.append(.pod(podObjects.count))
    podObjects.append(pod)
  }

  func add(service: Service) {
    reference(namespace: service.namespace, at: service.location)
    cluster.services.append(service)
  }

  func add(ingress: IngressRoute) {
    reference(namespace: ingress.namespace, at: ingress.location)
    cluster.ingresses.append(ingress)
  }

  func add(networkPolicy: NetworkPolicy) {
    reference(namespace: networkPolicy.namespace, at: networkPolicy.location)
    cluster.networkPolicies.append(networkPolicy)
  }

  func add(adminPolicy: AdminNetworkPolicy) {
    if adminPolicy.isBaseline {
      cluster.baselineAdminNetworkPolicies.append(adminPolicy)
    } else {
      cluster.adminNetworkPolicies.append(adminPolicy)
    }
  }

  func add(peerAuthentication: PeerAuthentication) {
    reference(namespace: peerAuthentication.namespace, at: peerAuthentication.location)
    cluster.peerAuthentications.append(peerAuthentication)
  }

  func add(waypoint: WaypointGateway) {
    reference(namespace: waypoint.namespace, at: waypoint.location)
    cluster.waypoints.append(waypoint)
  }

  func add(destinationRule: DestinationRule) {
    reference(namespace: destinationRule.namespace, at: destinationRule.location)
    cluster.destinationRules.append(destinationRule)
  }

  func add(authorizationPolicy: AuthorizationPolicy) {
    reference(namespace: authorizationPolicy.namespace, at: authorizationPolicy.location)
    cluster.authorizationPolicies.append(authorizationPolicy)
  }

  /// The assembled cluster.
  func finish() -> Cluster {
    buildWorkloads()
    buildNamespaces()
    sortObjects()
    checkAdminPolicies()
    return cluster
  }

  /// Puts every list of the model in an order of its own (by namespace and name), so that nothing
  /// downstream depends on the order of files and documents.
  private func sortObjects() {
    let order = cluster.workloads.indices.sorted {
      let a = cluster.workloads[$0]
      let b = cluster.workloads[$1]
      return (a.namespace, a.name, a.kind.rawValue) < (b.namespace, b.name, b.kind.rawValue)
    }
    var newIndex = [Int](repeating: 0, count: order.count)
    for (new, old) in order.enumerated() { newIndex[old] = new }
    cluster.workloads = order.map { cluster.workloads[$0] }
    for i in cluster.pods.indices { cluster.pods[i].workload = newIndex[cluster.pods[i].workload] }
    cluster.pods.sort { ($0.workload, $0.namespace, $0.name) < ($1.workload, $1.namespace, $1.name) }
    cluster.services.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    cluster.ingresses.sort {
      ($0.namespace, $0.name, "\($0.kind)") < ($1.namespace, $1.name, "\($1.kind)")
    }
    cluster.networkPolicies.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    cluster.adminNetworkPolicies.sort { ($0.priority, $0.name) < ($1.priority, $1.name) }
    cluster.baselineAdminNetworkPolicies.sort { $0.name < $1.name }
    cluster.peerAuthentications.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    cluster.destinationRules.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    cluster.authorizationPolicies.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    cluster.waypoints.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
  }

  // MARK: - Workloads and pods

  private struct WorkloadKey: Hashable {
    var namespace: String
    var kind: String
    var name: String
  }

  private func buildWorkloads() {
    // The workload key every workload object reports as, and the keys that lead to it.
    var objectKey: [WorkloadKey: Int] = [:]
    var reportedKey: [Int: WorkloadKey] = [:]
    for (i, object) in workloadObjects.enumerated() {
      var reported = WorkloadKey(
        namespace: object.namespace, kind: object.kind.rawValue, name: object.name)
      if object.kind == .replicaSet, let owner = object.owner,
        owner.kind == WorkloadKind.deployment.rawValue
      {
        reported = WorkloadKey(namespace: object.namespace, kind: owner.kind, name: owner.name)
      }
      reportedKey[i] = reported
      let own = WorkloadKey(
        namespace: object.namespace, kind: object.kind.rawValue, name: object.name)
      if objectKey[own] == nil { objectKey[own] = i }
    }

    var workloadIndex: [WorkloadKey: Int] = [:]
    var firstObject: [Int: Int] = [:]
    var realPods: [[Int]] = []
    var templates: [WorkloadObject?] = []

    func workload(
      for key: WorkloadKey, kind: WorkloadKind, labels: [String: String], location: SourceLocation
    )
      -> Int
    {
      if let index = workloadIndex[key] { return index }
      let index = cluster.workloads.count
      cluster.workloads.append(
        Workload(
          namespace: key.namespace, name: key.name, kind: kind, podLabels: labels,
          location: location))
      workloadIndex[key] = index
      realPods.append([])
      templates.append(nil)
      return index
    }

    for source in sources {
      switch source {
      case .workload(let i):
        let object = workloadObjects[i]
        guard let key = reportedKey[i], let kind = WorkloadKind(rawValue: key.kind) else {
          continue
        }
        let index = workload(
          for: key, kind: kind, labels: object.template.labels, location: object.location)
        if templates[index] == nil {
          templates[index] = object
          firstObject[index] = i
          cluster.workloads[index].podLabels = object.template.labels
          cluster.workloads[index].location = object.location
        }
      case .pod(let p):
        let pod = podObjects[p]
        var key = WorkloadKey(
          namespace: pod.namespace, kind: WorkloadKind.pod.rawValue, name: pod.name)
        var kind = WorkloadKind.pod
        if let owner = pod.owner, let ownerKind = WorkloadKind(rawValue: owner.kind),
          ownerKind != .pod
        {
          let ownKey = WorkloadKey(namespace: pod.namespace, kind: owner.kind, name: owner.name)
          if let object = objectKey[ownKey], let reported = reportedKey[object],
            let reportedKind = WorkloadKind(rawValue: reported.kind)
          {
            key = reported
            kind = reportedKind
          } else if ownerKind == .replicaSet,
            let deployment = deploymentOwning(pod: pod, replicaSet: owner.name, in: objectKey)
          {
            // A live cluster dump without its ReplicaSets: the pod belongs to the Deployment that
            // made the ReplicaSet (`<deployment>-<pod-template-hash>`) and selects the pod.
            key = deployment
            kind = .deployment
          } else {
            key = ownKey
            kind = ownerKind
          }
        } else if let owner = pod.owner, owner.kind.isEmpty, !owner.name.isEmpty {
          // An owner reference without a kind still groups its pods (netpol-analyzer reports
          // them as one `ns/owner[Pod]`).
          key = WorkloadKey(
            namespace: pod.namespace, kind: WorkloadKind.pod.rawValue, name: owner.name)
        }
        let index = workload(for: key, kind: kind, labels: pod.spec.labels, location: pod.location)
        realPods[index].append(p)
      }
    }

    for index in cluster.workloads.indices {
      if !realPods[index].isEmpty {
        for p in realPods[index] {
          let pod = podObjects[p]
          cluster.pods.append(
            Pod(
              namespace: pod.namespace, name: pod.name, labels: pod.spec.labels,
              annotations: pod.spec.annotations, containers: pod.spec.containers,
              ports: pod.spec.ports,
              serviceAccount: pod.spec.serviceAccount, hostNetwork: pod.spec.hostNetwork,
              ips: pod.ips,
              workload: index, location: pod.location))
        }
      } else if let object = templates[index] {
        var count = max(object.replicas, 1)
        if count > options.maxReplicas {
          diagnostics.append(
            .warning(
              .replicasCapped,
              "\(object.kind.rawValue) '\(object.namespace)/\(object.name)' asks for \(count) replicas; "
                + "modelling \(options.maxReplicas)",
              at: object.location))
          count = options.maxReplicas
        }
        let workload = cluster.workloads[index]
        for r in 0..<count {
          cluster.pods.append(
            Pod(
              namespace: workload.namespace, name: "\(workload.name)-\(r)",
              labels: object.template.labels, annotations: object.template.annotations,
              containers: object.template.containers,
              ports: object.template.ports, serviceAccount: object.template.serviceAccount,
              hostNetwork: object.template.hostNetwork, workload: index, location: object.location))
        }
      }
    }
  }

  /// The Deployment in the pod's namespace whose ReplicaSet `replicaSet` would be, by the pod's
  /// `pod-template-hash` label, and whose selector matches the pod; nil when there is none.
  private func deploymentOwning(
    pod: PodObject, replicaSet: String, in objects: [WorkloadKey: Int]
  ) -> WorkloadKey? {
    guard let hash = pod.spec.labels["pod-template-hash"], !hash.isEmpty,
      replicaSet.hasSuffix("-\(hash)")
    else { return nil }
    let name = String(replicaSet.dropLast(hash.count + 1))
    let key = WorkloadKey(namespace: pod.namespace, kind: WorkloadKind.deployment.rawValue, name: name)
    guard let index = objects[key], let selector = workloadObjects[index].selector,
      !selector.isEmpty, selector.matches(pod.spec.labels)
    else { return nil }
    return key
  }

  // MARK: - Namespaces

  private func buildNamespaces() {
    for (name, location) in referencedNamespaces where declaredNamespaces[name] == nil {
      declaredNamespaces[name] = Namespace(name: name, declared: false, location: location)
      diagnostics.append(
        .warning(
          .implicitNamespace,
          "namespace '\(name)' is used but not declared; assuming it exists with only the label "
            + "\(namespaceNameLabel)=\(name)",
          at: location))
    }
    cluster.namespaces = declaredNamespaces.values.sorted { $0.name < $1.name }
  }

  // MARK: - Admin policies

  private func checkAdminPolicies() {
    var byPriority: [Int: AdminNetworkPolicy] = [:]
    for policy in cluster.adminNetworkPolicies {
      if let other = byPriority[policy.priority] {
        diagnostics.append(
          .error(
            .duplicatePriority,
            "AdminNetworkPolicies '\(other.name)' and '\(policy.name)' have the same priority \(policy.priority); "
              + "two policies with the same priority conflict",
            at: policy.location))
      } else {
        byPriority[policy.priority] = policy
      }
    }
    for (i, policy) in cluster.baselineAdminNetworkPolicies.enumerated() where i > 0 {
      diagnostics.append(
        .error(
          .multipleBaselinePolicies,
          "only one BaselineAdminNetworkPolicy may exist; '\(policy.name)' is a second one",
          at: policy.location))
    }
  }
}
