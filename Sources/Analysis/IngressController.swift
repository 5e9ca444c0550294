import KubeModel
import Reachability

/// The ingress controller stands for the unknown pod that forwards traffic from Ingress and
/// Route objects: a pod without labels in a namespace of its own.
enum IngressControllerStandIn {
  static let namespace = "ingress-controller-ns"
  static let name = "ingress-controller"

  /// Adds the stand-in pod (and its namespace) and returns its pod index.
  static func add(to cluster: inout Cluster) -> Int {
    let location = SourceLocation.synthetic("<ingress-controller>")
    if cluster.namespace(named: namespace) == nil {
      cluster.namespaces.append(Namespace(name: namespace, declared: false, location: location))
    }
    cluster.workloads.append(
      Workload(namespace: namespace, name: name, kind: .pod, podLabels: [:], location: location))
    cluster.pods.append(
      Pod(namespace: namespace, name: name, labels: [:], workload: cluster.workloads.count - 1, location: location))
    return cluster.pods.count - 1
  }

  /// For each reported entity that an Ingress or Route sends traffic to, the ports it opens
  /// (Service ports translated to the entity's target ports).
  static func connections(
    cluster: Cluster, entities: [(peer: ReportPeer, pod: Int)]
  ) -> [(peer: ReportPeer, pod: Int, conns: ConnectionSet)] {
    var result: [(peer: ReportPeer, pod: Int, conns: ConnectionSet)] = []
    for (peer, podIndex) in entities {
      let pod = cluster.pods[podIndex]
      var ports: [TransportProtocol: [PortRange]] = [:]
      for ingress in cluster.ingresses where ingress.namespace == pod.namespace {
        for backend in ingress.backends {
          guard
            let service = cluster.services.first(where: {
              $0.namespace == ingress.namespace && $0.name == backend.service
            }),
            let selector = service.selector, !selector.isEmpty,
            LabelSelector(matchLabels: selector).matches(pod.labels)
          else { continue }
          for servicePort in service.ports where backend.port.map({ matches(servicePort, $0) }) ?? true {
            guard let target = resolve(servicePort, on: pod) else { continue }
            ports[servicePort.protocol, default: []].append(PortRange(target, target))
          }
        }
      }
      if !ports.isEmpty {
        result.append((peer, podIndex, ConnectionSet(ports)))
      }
    }
    return result
  }

  static func matches(_ servicePort: ServicePort, _ reference: PortValue) -> Bool {
    switch reference {
    case .number(let n): servicePort.port == n
    case .name(let s): servicePort.name == s
    }
  }

  static func resolve(_ servicePort: ServicePort, on pod: Pod) -> Int? {
    switch servicePort.targetPort {
    case .number(let n): return n
    case .name(let s):
      return pod.ports.first { $0.name == s && $0.protocol == servicePort.protocol }?.port
    }
  }
}
