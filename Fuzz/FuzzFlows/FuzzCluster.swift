import KubeModel

/// A small cluster for the resolver: a workload with two pods, a bare pod and a Service.
enum FuzzCluster {
  static let cluster: Cluster = {
    var c = Cluster()
    let at = SourceLocation.synthetic("fuzz")
    c.namespaces = [Namespace(name: "shop", location: at)]
    c.workloads = [
      Workload(namespace: "shop", name: "api", kind: .deployment, podLabels: ["app": "api"], location: at),
      Workload(namespace: "shop", name: "web", kind: .pod, podLabels: ["app": "web"], location: at),
    ]
    c.pods = [
      Pod(
        namespace: "shop", name: "api-0", labels: ["app": "api"], ports: [ContainerPort(name: "http", port: 80)],
        workload: 0, location: at),
      Pod(
        namespace: "shop", name: "api-1", labels: ["app": "api"], ports: [ContainerPort(name: "http", port: 80)],
        workload: 0, location: at),
      Pod(namespace: "shop", name: "web", labels: ["app": "web"], workload: 1, location: at),
    ]
    c.services = [
      Service(
        namespace: "shop", name: "api", selector: ["app": "api"],
        ports: [ServicePort(port: 80, targetPort: .name("http"))], location: at)
    ]
    return c
  }()
}
