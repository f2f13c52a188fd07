/// What a `User-Agent` string says about the system, browser and device, for the families seen most (iOS,
/// Android, macOS, Windows, Chrome OS, Linux; Chrome, Safari, Firefox, Edge, Opera, Samsung Internet), named as
/// ua-parser-js names them: the parser Segment's Amplitude destination uses for `userAgentParsing`.
///
/// A subset, by design: ua-parser-js knows thousands of devices; this reads the vendor and model of Apple
/// devices, Samsung (`SM-…`) and Google Pixel phones, and leaves others unknown.
struct UserAgent: Equatable {
    var osName: String?
    var osVersion: String?
    var browserName: String?
    var browserMajor: String?
    var deviceVendor: String?
    var deviceModel: String?
    var deviceType: String?

    init(_ agent: String) {
        // The system.
        if let m = agent.firstMatch(of: #/(?i)(?:iphone|ipod|ipad)(?:.*?)\bOS ([\d_]+)/#) {
            osName = "iOS"
            osVersion = String(m.1).replacingOccurrences(of: "_", with: ".")
        } else if let m = agent.firstMatch(of: #/(?i)android[-\/ ]?([\d.]*)/#) {
            osName = "Android"
            osVersion = m.1.isEmpty ? nil : String(m.1)
        } else if let m = agent.firstMatch(of: #/(?i)windows nt ([\d.]+)/#) {
            osName = "Windows"
            osVersion = Self.windowsVersions[String(m.1)] ?? String(m.1)
        } else if let m = agent.firstMatch(of: #/(?i)\bcros [\w]+ ([\d.]+)/#) {
            osName = "Chromium OS"
            osVersion = String(m.1)
        } else if let m = agent.firstMatch(of: #/(?i)mac os x ?([\d_.]*)/#) {
            osName = "Mac OS"
            osVersion = m.1.isEmpty ? nil : String(m.1).replacingOccurrences(of: "_", with: ".")
        } else if agent.firstMatch(of: #/(?i)ubuntu/#) != nil {
            osName = "Ubuntu"
        } else if agent.firstMatch(of: #/(?i)linux/#) != nil {
            osName = "Linux"
        }

        // The browser, most specific first.
        if let m = agent.firstMatch(of: #/(?i)\bedg(?:e|a|ios)?\/(\d+)/#) {
            (browserName, browserMajor) = ("Edge", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)\b(?:opr|opios)\/(\d+)/#) {
            (browserName, browserMajor) = ("Opera", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)samsungbrowser\/(\d+)/#) {
            (browserName, browserMajor) = ("Samsung Browser", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)\b(?:crios|crmo)\/(\d+)/#) {
            (browserName, browserMajor) = ("Chrome", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)\bfxios\/(\d+)/#) {
            (browserName, browserMajor) = ("Firefox", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)\bchrome\/(\d+)/#) {
            (browserName, browserMajor) = ("Chrome", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)\bfirefox\/(\d+)/#) {
            (browserName, browserMajor) = ("Firefox", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)version\/(\d+)[\w.,]* .*mobile\/\w+ safari/#) {
            (browserName, browserMajor) = ("Mobile Safari", String(m.1))
        } else if let m = agent.firstMatch(of: #/(?i)version\/(\d+)[\w.,]* .*safari/#) {
            (browserName, browserMajor) = ("Safari", String(m.1))
        }

        // The device.
        if let m = agent.firstMatch(of: #/(?i)\((ip(?:hone|od))[\w ]*;/#) {
            (deviceVendor, deviceModel, deviceType) = ("Apple", String(m.1), "mobile")
        } else if agent.firstMatch(of: #/(?i)\(ipad;/#) != nil {
            (deviceVendor, deviceModel, deviceType) = ("Apple", "iPad", "tablet")
        } else if let m = agent.firstMatch(of: #/(?i)\b(sm-[a-z]\w+)/#) {
            (deviceVendor, deviceModel) = ("Samsung", String(m.1).uppercased())
            deviceType = agent.contains("Mobile") ? "mobile" : "tablet"
        } else if let m = agent.firstMatch(of: #/(?i)\b(pixel[\w ]*?)(?: build|\))/#) {
            (deviceVendor, deviceModel, deviceType) = ("Google", String(m.1), "mobile")
        } else if osName == "Android" {
            deviceType = agent.contains("Mobile") ? "mobile" : "tablet"
        } else if agent.firstMatch(of: #/(?i)\(macintosh;/#) != nil {
            (deviceVendor, deviceModel) = ("Apple", "Macintosh")
        }
    }

    private static let windowsVersions = [
        "10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.2": "XP", "5.1": "XP",
    ]
}
