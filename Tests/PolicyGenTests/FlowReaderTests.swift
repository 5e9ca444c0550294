import Foundation
import KubeModel
import Synthesis
import Testing

@testable import PolicyGen

@Suite struct FlowReaderTests {
  func read(_ text: String, _ format: FlowFormat? = nil) throws -> FlowReadResult {
    try FlowReader.read(.bytes(Array(text.utf8), name: "flows"), format: format)
  }

  @Test func oursJSONLinesAndCSVMerge() throws {
    let r = try read(
      """
      {"source": "shop/frontend", "destination": "shop/api", "protocol": "TCP", "port": 8080, "count": 3}
      {"source": "shop/frontend", "destination": "shop/api", "port": 8080}
      {"source": "shop/api", "destination": "203.0.113.0/24", "protocol": "udp", "port": 53}
      """)
    #expect(r.format == .ours)
    #expect(r.flows.count == 2)
    #expect(r.flows[0].count == 4)
    #expect(r.flows[0].location.line == 1)
    #expect(r.flows[1].destination == .address(CIDR("203.0.113.0/24")!))
    #expect(r.flows[1].transport == .udp)
    let csv = try read(
      "source,destination,protocol,port,count\nshop/a,shop/b,TCP,80,2\n# comment\nshop/a,10.0.0.1,UDP,53\n")
    #expect(csv.flows.count == 2)
    #expect(csv.flows[0].count == 2)
    #expect(csv.flows[1].location.line == 4)
  }

  @Test func brokenLinesAreReportedWithLineNumbers() throws {
    let r = try read(
      """
      {"source": "shop/a", "destination": "shop/b", "port": 80}
      {"source": "shop/a", "destination": "shop/b", "port": }
      {"source": "shop/a", "destination": "shop/b", "port": 99999}
      {"source": "nonsense", "destination": "shop/b", "port": 80}
      {"source": "shop/a", "destination": "shop/b", "protocol": "ICMP", "port": 80}
      """)
    #expect(r.flows.count == 1)
    #expect(r.diagnostics.map { $0.location?.line } == [2, 3, 4, 5])
    #expect(r.diagnostics.allSatisfy { $0.severity == .warning && $0.code == .brokenLine })
  }

  @Test func hubbleFlowsSkipRepliesAndNonL4() throws {
    let r = try read(
      """
      {"flow":{"IP":{"source":"10.0.0.5","destination":"10.0.0.9"},"l4":{"TCP":{"source_port":43210,"destination_port":8080}},"source":{"namespace":"shop","labels":["k8s:app=frontend"],"pod_name":"frontend-5d8f-abcde","workloads":[{"name":"frontend","kind":"Deployment"}]},"destination":{"namespace":"shop","labels":["k8s:app=api","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"api-7c9-xyz"},"is_reply":false},"node_name":"n1"}
      {"flow":{"IP":{"source":"10.0.0.9","destination":"10.0.0.5"},"l4":{"TCP":{"source_port":8080,"destination_port":43210}},"source":{"namespace":"shop"},"destination":{"namespace":"shop"},"is_reply":true}}
      {"flow":{"IP":{"source":"10.0.0.5","destination":"10.0.0.9"},"l4":{"ICMPv4":{"type":8}},"source":{"namespace":"shop"},"destination":{"namespace":"shop"}}}
      {"flow":{"IP":{"source":"10.0.0.5","destination":"93.184.216.34"},"l4":{"UDP":{"destination_port":443}},"source":{"namespace":"shop","workloads":[{"name":"frontend"}]},"destination":{"labels":["reserved:world"]},"destination_names":["example.com"]}}
      {"IP":{"source":"10.0.0.5","destination":"10.0.0.9"},"l4":{"SCTP":{"destination_port":9}},"source":{"namespace":"shop","pod_name":"p"},"destination":{"namespace":"shop","pod_name":"q"}}
      {"flow":{"verdict":"DROPPED","IP":{"source":"10.0.0.5","destination":"10.0.0.9"},"l4":{"TCP":{"destination_port":22}},"source":{"namespace":"shop","workloads":[{"name":"frontend"}]},"destination":{"namespace":"shop","pod_name":"q"}}}
      {"flow":{"Type":"L7","l7":{"type":"RESPONSE","http":{"code":200}},"IP":{"source":"10.0.0.9","destination":"10.0.0.5"},"l4":{"TCP":{"destination_port":43210}},"source":{"namespace":"shop","pod_name":"q"},"destination":{"namespace":"shop","workloads":[{"name":"frontend"}]}}}
      {"flow":{"Type":"L7","l7":{"type":"REQUEST","http":{"method":"GET"}},"IP":{"source":"10.0.0.5","destination":"10.0.0.9"},"l4":{"TCP":{"destination_port":8080}},"source":{"namespace":"shop","workloads":[{"kind":"ReplicaSet","name":"frontend-5d8f"}]},"destination":{"namespace":"shop","pod_name":"api-7c9-xyz"}}}
      {"flow": broken
      """)
    #expect(r.format == .hubble)
    #expect(r.skipped == ["reply": 2, "ICMPv4": 1, "verdict DROPPED": 1])
    #expect(r.flows[0].source == .hubble(namespace: "shop", workload: "frontend", pod: nil, labels: []))
    #expect(
      r.flows[0].destination
        == .hubble(
          namespace: "shop", workload: nil, pod: "api-7c9-xyz",
          labels: ["app=api", "io.kubernetes.pod.namespace=shop"]))
    #expect(r.flows[1].destination == .address(CIDR("93.184.216.34/32")!))
    #expect(r.flows[1].destinationNames == ["example.com"])
    #expect(r.flows[2].transport == .sctp)
    #expect(r.diagnostics.count == 1)
    #expect(r.diagnostics.first?.location?.line == 9)
    #expect(r.flows.count == 4)
    #expect(r.flows[3].source == .hubble(namespace: "shop", workload: "frontend-5d8f", pod: nil, labels: []))
  }

  @Test func intentsCallsAndTargets() throws {
    let r = try read(
      """
      apiVersion: k8s.otterize.com/v1alpha3
      kind: ClientIntents
      metadata:
        name: frontend
        namespace: shop
      spec:
        service:
          name: frontend
        calls:
          - name: api
          - name: ledger.payments
      ---
      apiVersion: k8s.otterize.com/v2alpha1
      kind: ClientIntents
      metadata:
        name: api
        namespace: shop
      spec:
        workload:
          name: api
        targets:
          - kubernetes:
              name: db
          - internet:
              ips: [203.0.113.7]
              ports: [443]
      """)
    #expect(r.format == .intents)
    #expect(
      r.flows.map(\.summary) == [
        "shop/frontend -> shop/api TCP/0", "shop/frontend -> payments/ledger TCP/0", "shop/api -> shop/db TCP/0",
        "shop/api -> 203.0.113.7 TCP/443",
      ])
    #expect(r.flows[1].location.line == 11)
  }

  @Test func detection() throws {
    #expect(try FlowReader.detect(Array("a/b,c/d,TCP,80\n".utf8), name: "x") == .ours)
    #expect(try FlowReader.detect(Array("{\"flow\":{}}\n".utf8), name: "x") == .hubble)
    #expect(try FlowReader.detect(Array("{\"source\":\"a/b\"}\n".utf8), name: "x") == .ours)
    #expect(try FlowReader.detect(Array("apiVersion: v1\n".utf8), name: "x") == .intents)
    #expect(throws: Diagnostic.self) { try FlowReader.detect(Array("hello\n".utf8), name: "x") }
  }
}

/// Seeded mutations of valid inputs (byte flips, truncations, splices): the readers never crash,
/// every kept flow is well-formed, and every dropped line is accounted for.
@Suite struct FlowReaderMutationTests {
  static let seeds: [String] = [
    #"{"flow":{"IP":{"source":"10.0.0.5","destination":"10.0.0.9"},"l4":{"TCP":{"destination_port":8080}},"source":{"namespace":"shop","labels":["k8s:app=a"],"pod_name":"a-1","workloads":[{"name":"a"}]},"destination":{"namespace":"shop","pod_name":"b-1"},"is_reply":{"value":false},"destination_names":["x\u00e9\"y"]}}"#,
    #"{"source": "shop/a", "destination": "10.0.0.0/8", "protocol": "UDP", "port": 53, "count": 7}"#,
    "shop/a,shop/b,SCTP,9,2",
  ]

  @Test func mutatedLinesNeverCrashAndAreAccountedFor() throws {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(truncatingIfNeeded: state >> 33)
    }
    for format in [FlowFormat.hubble, .ours] {
      var lines: [String] = []
      for _ in 0..<400 {
        var bytes = Array(Self.seeds[next() % Self.seeds.count].utf8)
        for _ in 0..<(1 + next() % 4) {
          guard !bytes.isEmpty else { break }
          let i = next() % bytes.count
          switch next() % 4 {
          case 0: bytes[i] = UInt8(truncatingIfNeeded: next())
          case 1: bytes.removeSubrange(i...)
          case 2: bytes.insert(contentsOf: Array("{[\"\\,:".utf8).shuffled().prefix(1 + next() % 3), at: i)
          default: bytes.remove(at: i)
          }
        }
        lines.append(String(decoding: bytes.filter { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self))
      }
      let text = lines.joined(separator: "\n")
      let result = try FlowReader.read(.bytes(Array(text.utf8), name: "fuzz"), format: format)
      for flow in result.flows {
        #expect((1...65535).contains(flow.port))
        #expect(flow.count >= 1)
        #expect(flow.location.line >= 1 && flow.location.line <= lines.count)
      }
      let kept = result.flows.reduce(0) { $0 + $1.count }
      let dropped = result.diagnostics.filter { $0.location != nil }.count
      let capped = result.diagnostics.compactMap { d -> Int? in
        guard d.location == nil, let n = d.message.split(separator: " ").first else { return nil }
        return Int(n)
      }.reduce(0, +)
      let skipped = result.skipped.values.reduce(0, +)
      #expect(dropped + capped + skipped > 0)
      if format == .hubble {
        // Each record is exactly one of: a flow line, a reported problem, a skipped line.
        #expect(result.records == kept + dropped + capped + skipped)
      } else {
        #expect(result.records >= result.flows.count + dropped + capped)
      }
    }
  }

  @Test func intentsWithBrokenYAMLAreReported() throws {
    let r = try FlowReader.read(
      .bytes(Array("apiVersion: k8s.otterize.com/v1alpha3\nkind: ClientIntents\nspec: [unclosed\n".utf8), name: "i"),
      format: .intents)
    #expect(r.flows.isEmpty)
    #expect(r.diagnostics.first?.location?.line != nil)
  }
}

/// Large files are read by several threads over line-aligned ranges: the result is the same as
/// a sequential read, locations included.
@Suite struct ParallelReadTests {
  @Test(arguments: [FlowFormat.hubble, .ours]) func parallelEqualsSequential(_ format: FlowFormat) throws {
    let cluster = SyntheticCluster.generate(pods: 300, namespaces: 10, policies: 20, seed: 3)
    var synthesizer = HubbleFlowSynthesizer(cluster: cluster, seed: 3)
    var lines: [String] = []
    for i in 0..<3000 {
      if format == .hubble {
        lines.append(i % 97 == 5 ? "{\"flow\": {broken" : synthesizer.nextLine())
      } else {
        let w = cluster.workloads[i % cluster.workloads.count]
        lines.append(
          i % 89 == 3 ? "not,a,flow" : "\(w.namespace)/\(w.name),10.0.\(i % 7).0/24,TCP,\(443 + i % 5),\(1 + i % 3)")
      }
    }
    let text = lines.joined(separator: "\n") + (format == .ours ? "" : "\n")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-par-\(getpid())-\(format).txt")
      .path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let sequential = try FlowReader.read(.bytes(Array(text.utf8), name: path), format: format)
    for workers in [2, 3, 7] {
      let acc = try #require(try FlowReader.parallelRead(path, format: format, workers: workers, threshold: 0))
      let parallel = acc.finish(format: format)
      #expect(parallel.flows == sequential.flows, "\(workers) workers")
      #expect(parallel.diagnostics == sequential.diagnostics, "\(workers) workers")
      #expect(parallel.skipped == sequential.skipped)
      #expect(parallel.records == sequential.records)
    }
    #expect(sequential.flows.count > 50)
    #expect(!sequential.diagnostics.isEmpty)
  }
}
