import Foundation
import KubeModel
import Manifests
import TestSupport
import Testing

@Suite("Writer")
struct WriterTests {
  static let rich = """
    kind: Namespace
    metadata: {name: shop, labels: {team: a, "yes": "true"}}
    ---
    kind: Deployment
    apiVersion: apps/v1
    metadata: {name: web, namespace: shop}
    spec:
      replicas: 2
      template:
        metadata: {labels: {app: web, version: "1.0"}}
        spec:
          serviceAccountName: web
          hostNetwork: true
          containers: [{name: c, ports: [{name: http, containerPort: 80}, {containerPort: 53, protocol: UDP}]}]
    ---
    kind: CronJob
    apiVersion: batch/v1
    metadata: {name: nightly, namespace: shop}
    spec: {jobTemplate: {spec: {template: {metadata: {labels: {app: cron}}}}}}
    ---
    kind: Pod
    metadata:
      name: rs-pod-1
      namespace: other
      labels: {app: rs, "null": "~"}
      ownerReferences: [{kind: ReplicaSet, name: rs-abc, controller: true}]
    status: {podIPs: [{ip: 10.1.2.3}]}
    ---
    kind: Pod
    metadata: {name: lonely, labels: {app: lonely}}
    ---
    kind: Service
    metadata: {name: web, namespace: shop}
    spec:
      type: NodePort
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: http, nodePort: 30000}, {port: 53, protocol: UDP, targetPort: 5353}]
    ---
    kind: Ingress
    apiVersion: networking.k8s.io/v1
    metadata: {name: ing, namespace: shop}
    spec: {defaultBackend: {service: {name: web, port: {name: http}}}}
    ---
    kind: Route
    apiVersion: route.openshift.io/v1
    metadata: {name: r, namespace: shop}
    spec: {to: {kind: Service, name: web}, port: {targetPort: 80}}
    ---
    kind: NetworkPolicy
    apiVersion: networking.k8s.io/v1
    metadata: {name: np, namespace: shop}
    spec:
      podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db, "123"]}, {key: x, operator: Exists}]}
      ingress:
      - from: [{podSelector: {}}, {namespaceSelector: {matchLabels: {team: a}}}, {ipBlock: {cidr: "fd00::/8", except: ["fd00::/16"]}}]
        ports: [{port: http}, {port: 1000, endPort: 2000, protocol: SCTP}, {protocol: UDP}]
      - {}
      egress: [{to: [{podSelector: {matchLabels: {app: web}}, namespaceSelector: {}}]}]
    ---
    kind: AdminNetworkPolicy
    apiVersion: policy.networking.k8s.io/v1alpha1
    metadata: {name: anp}
    spec:
      priority: 3
      subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {a: b}}}}
      ingress: [{name: in, action: Pass, from: [{namespaces: {}}], ports: [{namedPort: http}, {portRange: {protocol: UDP, start: 1, end: 9}}]}]
      egress: [{name: out, action: Deny, to: [{networks: [10.0.0.0/8]}, {nodes: {}}], ports: [{portNumber: {port: 443}}]}]
    ---
    kind: BaselineAdminNetworkPolicy
    apiVersion: policy.networking.k8s.io/v1alpha1
    metadata: {name: default}
    spec: {subject: {namespaces: {matchLabels: {team: a}}}, egress: [{name: deny, action: Deny, to: [{namespaces: {}}]}]}
    ---
    kind: PeerAuthentication
    apiVersion: security.istio.io/v1
    metadata: {name: pa, namespace: shop}
    spec: {mtls: {mode: PERMISSIVE}, selector: {matchLabels: {app: web}}, portLevelMtls: {"80": {mode: STRICT}}}
    ---
    kind: DestinationRule
    apiVersion: networking.istio.io/v1beta1
    metadata: {name: dr, namespace: shop}
    spec: {host: web, trafficPolicy: {tls: {mode: DISABLE}, portLevelSettings: [{port: {number: 80}, tls: {mode: SIMPLE}}]}}
    ---
    kind: AuthorizationPolicy
    apiVersion: security.istio.io/v1
    metadata: {name: ap, namespace: shop}
    spec:
      selector: {matchLabels: {app: web}}
      rules:
      - from: [{source: {namespaces: [a], notIpBlocks: [1.2.3.4/32], requestPrincipals: [x]}}]
        to: [{operation: {notPorts: ["80"], paths: [/x]}}]
        when: [{key: k, values: [v]}]
    ---
    kind: AuthorizationPolicy
    apiVersion: security.istio.io/v1
    metadata: {name: ext, namespace: shop, creationTimestamp: "2024-01-02T03:04:05Z"}
    spec:
      targetRefs: [{kind: Service, group: "", name: web}]
      action: CUSTOM
      provider: {name: opa}
      rules:
      - from: [{source: {notRemoteIpBlocks: [10.0.0.0/8], notRequestPrincipals: ["*"]}}]
        to: [{operation: {hosts: [a.b], notHosts: [c], methods: [GET], notMethods: [PUT], notPaths: [/y]}}]
        when: [{key: source.ip, notValues: [10.0.0.1]}]
    ---
    kind: Pod
    metadata:
      name: injected
      namespace: shop
      labels: {app: injected}
      annotations: {sidecar.istio.io/status: "{}", sidecar.istio.io/inject: "true"}
    spec: {containers: [{name: app}, {name: istio-proxy}]}
    ---
    kind: PeerAuthentication
    apiVersion: security.istio.io/v1
    metadata: {name: unset, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
    spec: {portLevelMtls: {"8080": {}}}
    """

  @Test("load → write → load gives the same model")
  func roundTrip() {
    let first = loadClean(WriterTests.rich)
    let text = ManifestWriter.yaml(for: first.cluster)
    let second = loadClean(text, file: "written.yaml")
    #expect(ClusterContents(first.cluster) == ClusterContents(second.cluster), "\(text)")
    #expect(first.cluster.pods.count == 6)
    let injected = second.cluster.pods.first { $0.name == "injected" }
    #expect(injected?.containers == ["app", "istio-proxy"] && injected?.annotations.count == 2)
  }

  @Test("strings that read as other types are quoted")
  func quoting() {
    let text = YAMLEmitter.emit([
      .map([
        "a": .string("80"), "b": .string("true"), "c": .string("~"), "d": .string(""),
        "e": .string("plain"),
        "f": .int(80), "g": .string("1.5"), "h": .string("a: b"), "i": .sequence([]),
        "j": .mapping([]),
      ])
    ])
    #expect(text.contains("a: \"80\""))
    #expect(text.contains("b: \"true\""))
    #expect(text.contains("c: \"~\""))
    #expect(text.contains("d: \"\""))
    #expect(text.contains("e: plain"))
    #expect(text.contains("f: 80"))
    #expect(text.contains("g: \"1.5\""))
    #expect(text.contains("i: []"))
    #expect(text.contains("j: {}"))
  }

  @Test("multi-document output separates documents")
  func multiDocument() {
    let text = YAMLEmitter.emit([.map(["a": .int(1)]), .map(["b": .int(2)])])
    #expect(text == "a: 1\n---\nb: 2\n")
    #expect(YAMLEmitter.emit([]) == "")
  }

  @Test(
    "every good-path corpus folder survives a round trip",
    .enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func corpusRoundTrip() throws {
    let manifest = try #require(Corpus.manifest())
    var failures: [String] = []
    for dir in manifest.good {
      let first = ManifestLoader.load(paths: [
        Corpus.netpolAnalyzer.appendingPathComponent(dir).path
      ])
      let text = ManifestWriter.yaml(for: first.cluster)
      let second = ManifestLoader.load(yaml: text, file: "written.yaml")
      if second.hasErrors || ClusterContents(first.cluster) != ClusterContents(second.cluster) {
        failures.append(dir)
      }
    }
    #expect(failures.isEmpty, "\(failures)")
  }
}
