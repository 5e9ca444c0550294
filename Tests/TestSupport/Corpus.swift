import Foundation

/// The shared corpora beside the package (`../shared/corpus`), or `$KUBEREACH_CORPUS` when set.
/// The one place tests find them; tests that need them say so with
/// `.enabled(if: TestCorpus.netpolAnalyzerIsPresent)`.
public enum TestCorpus {
  /// The package root (found from this file's path, so no absolute path is written anywhere).
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The corpus folder.
  public static let root: URL = {
    if let override = ProcessInfo.processInfo.environment["KUBEREACH_CORPUS"] {
      return URL(fileURLWithPath: override)
    }
    return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")
  }()

  /// netpol-analyzer's golden corpus.
  public static var netpolAnalyzer: URL { root.appendingPathComponent("netpol-analyzer") }
  /// The NCA test inputs.
  public static var ncaTests: URL { root.appendingPathComponent("nca-tests") }

  /// Whether netpol-analyzer's corpus (its manifest.json) is present.
  public static var netpolAnalyzerIsPresent: Bool {
    FileManager.default.fileExists(
      atPath: netpolAnalyzer.appendingPathComponent("manifest.json").path)
  }

  /// Whether the NCA test inputs are present.
  public static var ncaTestsArePresent: Bool {
    FileManager.default.fileExists(atPath: ncaTests.path)
  }

  /// A folder of netpol-analyzer's `tests/` (for example `anp_banp_blog_demo`).
  public static func netpolAnalyzerTest(_ name: String) -> String {
    netpolAnalyzer.appendingPathComponent("tests").appendingPathComponent(name).path
  }
}
