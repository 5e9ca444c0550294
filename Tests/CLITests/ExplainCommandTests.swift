import Foundation
import KubereachCLI
import Testing

/// `kubereach explain` and `analyze --explain`, run in-process on `Scenarios/shop`.
@Suite(.serialized) struct ExplainCommandTests {
  static let shop = GoldenOutputTests.root.appendingPathComponent("Scenarios/shop").path

  static func run(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    let io = CommandIO()
    let status = Kubereach.run(arguments: arguments, io: io)
    return (
      status, String(decoding: io.standardOutput, as: UTF8.self),
      String(decoding: io.standardError, as: UTF8.self)
    )
  }

  @Test func workloadToWorkloadOnAPort() {
    let (status, stdout, stderr) = Self.run([
      "explain", "shop/frontend", "shop/api", "--port", "9090", Self.shop,
    ])
    #expect(status == 0, "\(stderr)")
    #expect(stdout.contains("Flow: shop/frontend[Deployment] => shop/api[Deployment] on TCP 9090"))
    #expect(stdout.contains("Verdict: allowed"))
    #expect(stdout.contains("NetworkPolicy 'shop/frontend' allows connections by Egress rule #1 ["))
    #expect(stdout.contains("policies.yaml:"))
    #expect(stdout.contains("NetworkPolicy 'shop/api' allows connections by Ingress rule #1"))
  }

  @Test func externalAddressAsJSON() throws {
    let (status, stdout, stderr) = Self.run([
      "explain", "1.2.3.4", "shop/db", "--port", "5432", "-o", "json", Self.shop,
    ])
    #expect(status == 1, "denied exits with 1: \(stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    #expect(object["allowed"] as? Bool == false)
    #expect(object["network"] as? String == "denied")
    let reasons = try #require(object["reasons"] as? [[String: Any]])
    #expect(!reasons.isEmpty)
    for reason in reasons {
      for key in ["tier", "direction", "policy", "rule", "location", "effect"] {
        #expect(reason[key] != nil, "reason lacks \(key)")
      }
      #expect(reason["direction"] as? String == "Ingress")
    }
    #expect(
      reasons.contains {
        $0["policy"] as? String == "shop/db" && $0["effect"] as? String == "no-match"
      })
    let location = try #require(reasons.first?["location"] as? String)
    #expect(location.split(separator: ":").count == 3)
  }

  @Test func serviceDestinationTranslatesThePort() {
    let (status, stdout, stderr) = Self.run([
      "explain", "shop/frontend", "svc:shop/api", "--port", "9090", Self.shop,
    ])
    #expect(status == 0, "\(stderr)")
    #expect(stdout.contains("through Service shop/api port 9090, target port 9090"))
    #expect(stdout.contains("Verdict: allowed"))
  }

  @Test func everyPortWithoutPortOption() {
    let (status, stdout, _) = Self.run(["explain", "shop/frontend", "shop/db", Self.shop])
    #expect(status == 1)
    #expect(stdout.contains("on all protocols and ports"))
    #expect(stdout.contains("Denied TCP, UDP, SCTP:"))
  }

  @Test func unknownPeerExitsWithTwo() {
    let (status, stdout, stderr) = Self.run([
      "explain", "shop/nobody", "shop/api", "--port", "9090", Self.shop,
    ])
    #expect(status == 2)
    #expect(stdout.isEmpty)
    #expect(stderr.contains("error:"))
    #expect(stderr.contains("shop/nobody"))
  }

  @Test func badOptionsExitWithTwo() {
    #expect(
      Self.run(["explain", "shop/frontend", "shop/api", "--port", "70000", Self.shop]).status == 2)
    #expect(
      Self.run(["explain", "shop/frontend", "shop/api", "--protocol", "icmp", Self.shop]).status
        == 2)
    #expect(Self.run(["explain", "shop/frontend", "shop/api", "-o", "csv", Self.shop]).status == 2)
    #expect(Self.run(["explain", "svc:shop/api", "shop/frontend", Self.shop]).status == 2)
    #expect(
      Self.run(["explain", "shop/frontend", "svc:shop/nothing", "--port", "1", Self.shop]).status
        == 2)
  }

  @Test func analyzeExplainPrintsReasons() {
    let (status, stdout, stderr) = Self.run(["analyze", "--explain", Self.shop])
    #expect(status == 0, "\(stderr)")
    #expect(
      stdout.hasPrefix(
        "\n##########################################\n# Specific connections and their reasons #\n"
      ))
    let denied = Self.run(["analyze", "--explain", "--explain-only", "deny", Self.shop]).stdout
    #expect(!denied.contains("Allowed connections:"))
    #expect(Self.run(["analyze", "--explain-only", "deny", Self.shop]).status == 2)
  }

  @Test func namesTheSelectingPoliciesAndAllowsAPodToItself() {
    let (status, stdout, _) = Self.run([
      "explain", "shop/api-0", "shop/api-0", "--port", "1", Self.shop,
    ])
    #expect(status == 0)
    #expect(
      stdout.contains(
        "Ingress at shop/api-0[Pod]: selected by NetworkPolicy 'shop/api', NetworkPolicy 'shop/default-deny'"))
    #expect(stdout.contains("a pod's traffic to itself is always allowed"))
    #expect(stdout.contains("Verdict: allowed"))
  }

  /// Issue 8: a multi-replica workload with itself was answered as a pod to itself (allowed).
  @Test func explainOfAMultiReplicaWorkloadWithItselfAsksBetweenReplicas() {
    let (status, stdout, _) = Self.run([
      "explain", "shop/api", "shop/api", "--port", "1", Self.shop,
    ])
    #expect(status == 1)
    #expect(stdout.contains("Verdict: denied"))
    #expect(!stdout.contains("- a pod's traffic to itself is always allowed"))
    #expect(stdout.contains("between distinct pods of shop/api[Deployment]"))
  }

  /// Exit codes follow `kubectl auth can-i`: 0 allowed, 1 denied, 2 bad input.
  @Test func exitCodesFollowKubectlAuthCanI() {
    #expect(Self.run(["explain", "shop/frontend", "shop/api", "--port", "9090", Self.shop]).status == 0)
    #expect(Self.run(["explain", "shop/frontend", "shop/db", "--port", "5432", Self.shop]).status == 1)
    #expect(Self.run(["explain", "shop/frontend", "shop/nobody", Self.shop]).status == 2)
  }

  /// Without --port the JSON carries the allowed connection set next to `allowed`.
  @Test func jsonCarriesTheAllowedConnections() throws {
    let (status, stdout, _) = Self.run([
      "explain", "shop/frontend", "shop/api", "-o", "json", Self.shop,
    ])
    #expect(status == 0)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    #expect(object["allowed"] as? Bool == true)
    #expect(object["connections"] as? String == "TCP 9090")
  }
}
