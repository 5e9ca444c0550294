import Foundation
import KubereachCLI
import Testing

/// `kubereach report` on a cluster whose file names and annotations hold markup and script:
/// everything escaped, and (in Debian's headless Chromium) nothing of it runs, the graph shows
/// and the search box filters the table.
@Suite(.serialized) struct ReportTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static let hostileFolder = "<img src=x onerror=window.__pwned=1>"
  static let hostileFile = "policy \"><svg onload=window.__pwned=2>.yaml"

  /// Writes the hostile cluster into a new temporary folder and returns that folder.
  static func hostileCluster() throws -> URL {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-report-\(UUID().uuidString)")
    let folder = base.appendingPathComponent(hostileFolder)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var workloads = ""
    for (name, app) in [("web", "web"), ("api", "api"), ("db", "db")] {
      workloads += """
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: \(name)
          namespace: shop
          annotations:
            note: "<script>window.__pwned=3</script>"
            other: "</textarea><img src=x onerror=window.__pwned=4>"
        spec:
          selector: {matchLabels: {app: \(app)}}
          template:
            metadata: {labels: {app: \(app)}}
            spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}

        """
    }
    try workloads.write(
      to: folder.appendingPathComponent("workloads <b>bold<i>.yaml"), atomically: true, encoding: .utf8)
    let policy = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: db-from-api
        namespace: shop
        annotations:
          description: "<script>window.__pwned=5</script>"
      spec:
        podSelector: {matchLabels: {app: db}}
        policyTypes: [Ingress]
        ingress:
        - from: [{podSelector: {matchLabels: {app: api}}}]
          ports: [{port: 5432}]

      """
    try policy.write(to: folder.appendingPathComponent(hostileFile), atomically: true, encoding: .utf8)
    return folder
  }

  static func run(_ arguments: [String]) -> (Int32, String, String) {
    let io = CommandIO()
    let status = Kubereach.run(arguments: arguments, io: io)
    return (
      status, String(decoding: io.standardOutput, as: UTF8.self), String(decoding: io.standardError, as: UTF8.self)
    )
  }

  @Test func everythingFromTheInputIsEscaped() throws {
    let folder = try Self.hostileCluster()
    defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
    let (status, html, stderr) = Self.run(["report", folder.path])
    #expect(status == 0, "\(stderr)")
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(!html.contains("<img"), "an <img> from a file name reached the page")
    #expect(!html.contains("<svg onload"), "markup from a file name reached the page")
    #expect(!html.contains("<b>bold"), "markup from a file name reached the page")
    #expect(html.contains("&lt;img src=x onerror=window.__pwned=1&gt;"), "the folder name is not shown escaped")
    #expect(html.components(separatedBy: "<script").count == 2, "the page has more than its own script")
    #expect(html.contains("Content-Security-Policy"))
    #expect(!html.contains("__pwned=3") && !html.contains("__pwned=5"), "annotations are not report content")
    #expect(!html.contains("src=\"http") && !html.contains("href=\"http"), "the page fetches nothing")
    #expect(html.contains("id=\"connection-table\"") && html.contains("<section id=\"exposure\">"))
  }

  @Test func summaryFigures() throws {
    let folder = try Self.hostileCluster()
    defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
    let (_, html, _) = Self.run(["report", folder.path])
    func figure(_ id: String) -> String? {
      guard let start = html.range(of: "id=\"figure-\(id)\"><div class=\"value\">") else { return nil }
      return String(html[start.upperBound...].prefix { $0 != "<" })
    }
    #expect(figure("workloads") == "3")
    #expect(figure("policies") == "1")
    // web and api are open to everything; only db is isolated for ingress.
    #expect(figure("not-isolated") == "2")
    #expect(figure("exposed-outside") == "2")
    let (_, csv, _) = Self.run(["analyze", folder.path, "-o", "csv"])
    #expect(figure("allowed-pairs") == String(csv.split(separator: "\n").count - 1))
  }

  @Test func diffSection() throws {
    let after = try Self.hostileCluster()
    defer { try? FileManager.default.removeItem(at: after.deletingLastPathComponent()) }
    let before = Self.root.appendingPathComponent("Scenarios/shop").path
    let (status, html, stderr) = Self.run(["report", after.path, "--before", before])
    #expect(status == 0, "\(stderr)")
    #expect(html.contains("<section id=\"diff\">") && html.contains("id=\"diff-table\""))
    #expect(html.components(separatedBy: "<svg").count == 3, "the graph and the diff graph")
  }

  /// Runs scripts/report-browser-test.py on a page; nil when the browser environment is missing.
  static func browserCheck(_ page: String, search: String, expectedRows: Int) throws -> (Int32, String)? {
    let python = Self.root.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python),
      FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
    else {
      Issue.record("no browser test environment: run scripts/setup.sh (installs chromium, chromium-driver, selenium)")
      return nil
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [
      Self.root.appendingPathComponent("scripts/report-browser-test.py").path, page, "--search", search,
      "--expect-rows", String(expectedRows), "--xss",
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
  }

  /// The page in Debian's headless Chromium (scripts/setup.sh installs chromium, chromium-driver
  /// and selenium into .venv).
  @Test func opensInHeadlessChromium() throws {
    let folder = try Self.hostileCluster()
    let work = folder.deletingLastPathComponent()
    defer { try? FileManager.default.removeItem(at: work) }
    let page = work.appendingPathComponent("report.html").path
    let (status, _, stderr) = Self.run(["report", folder.path, "--output-file", page])
    #expect(status == 0, "\(stderr)")
    let (_, csv, _) = Self.run(["analyze", folder.path, "-o", "csv"])
    let search = "shop/db["
    let expected = csv.split(separator: "\n").dropFirst().filter { $0.contains(search) }.count
    guard let result = try Self.browserCheck(page, search: search, expectedRows: expected) else { return }
    let (code, output) = result
    #expect(code == 0, "\(output)")
    #expect(output.contains("ok   no script from the input ran"), "\(output)")
    #expect(output.contains("ok   search filters the table"), "\(output)")
  }

  /// The browser check fails on a page where markup got through unescaped (so it can fail).
  @Test func browserCheckCatchesInjectedMarkup() throws {
    let folder = try Self.hostileCluster()
    let work = folder.deletingLastPathComponent()
    defer { try? FileManager.default.removeItem(at: work) }
    let (_, html, _) = Self.run(["report", folder.path])
    let page = work.appendingPathComponent("injected.html")
    try html.replacingOccurrences(
      of: "<h1>kubereach report</h1>", with: "<h1>kubereach report</h1><img src=x onerror=\"window.__pwned=1\">"
    ).write(to: page, atomically: true, encoding: .utf8)
    guard let result = try Self.browserCheck(page.path, search: "shop/db[", expectedRows: 0) else { return }
    let (code, output) = result
    #expect(code != 0)
    #expect(output.contains("FAIL no element from the input"), "\(output)")
  }
}
