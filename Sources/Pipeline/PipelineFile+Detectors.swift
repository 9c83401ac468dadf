import Detection

/// The `detectors:` section: engine-wide settings, then one block per
/// detector. Every key is optional; defaults are DetectionSettings'.
extension PipelineFile {
    /// `source` (when it could be read) is for the feedback-loop check of `alerts_topic`.
    static func detectors(
        _ object: inout YAMLObject,
        source: PipelineSpec.Source?
    ) throws(PipelineFileError) -> (DetectionSettings, PipelineSpec.DetectionStageSpec) {
        var d = DetectionSettings()
        var stage = PipelineSpec.DetectionStageSpec()
        try object.only([
            "enabled", "alerts_topic", "state_store", "state_directory", "state_conninfo", "snapshot_interval_seconds",
            "window_seconds", "baseline_alpha", "warmup_windows", "allowed_lateness_seconds", "cooldown_seconds",
            "evict_after_hours", "max_members", "max_pairs", "max_tools", "max_tenants", "max_evidence",
            "spike", "exfiltration", "breadth", "read_then_send", "probing", "first_seen", "off_hours",
            "tool_classes",
        ])
        stage.enabled = try object.boolean("enabled", default: true)
        stage.alertsTopic = try object.optionalString("alerts_topic")
        if let topic = stage.alertsTopic, let source,
            source.topics.contains(topic) || topic == source.deadLetterTopic
        {
            let what = source.topics.contains(topic) ? "a consumed topic" : "the dead-letter topic"
            object.note(
                object.error(key: "alerts_topic", "is \(what): alerts would be read back as events (a feedback loop)")
            )
        }
        stage.stateStore = try stateStore(&object)
        stage.snapshotIntervalSeconds = try object.integer(
            "snapshot_interval_seconds",
            default: stage.snapshotIntervalSeconds,
            in: 1...86_400
        )
        d.windowSeconds = try object.integer("window_seconds", default: d.windowSeconds, in: 10...3_600)
        d.baselineAlpha = Float(try object.number("baseline_alpha", default: Double(d.baselineAlpha), in: 0.0001...0.5))
        d.warmupWindows = try object.integer("warmup_windows", default: d.warmupWindows, in: 0...10_000)
        d.allowedLatenessSeconds = try object.integer(
            "allowed_lateness_seconds",
            default: d.allowedLatenessSeconds,
            in: 0...86_400
        )
        d.cooldownSeconds = try object.integer("cooldown_seconds", default: d.cooldownSeconds, in: 0...604_800)
        d.evictAfterSeconds =
            try object.integer("evict_after_hours", default: d.evictAfterSeconds / 3_600, in: 1...8_760) * 3_600
        d.maxMembers = try object.integer("max_members", default: d.maxMembers, in: 1...100_000_000)
        d.maxPairs = try object.integer("max_pairs", default: d.maxPairs, in: 1...100_000_000)
        d.maxTools = try object.integer("max_tools", default: d.maxTools, in: 1...10_000_000)
        d.maxTenants = try object.integer("max_tenants", default: d.maxTenants, in: 1...10_000_000)
        d.maxEvidence = try object.integer("max_evidence", default: d.maxEvidence, in: 1...100)

        if var o = try object.optionalObject("tool_classes") {
            let names = ToolClass.allCases.map(\.rawValue)
            for (tool, name) in try o.stringMap().sorted(by: { $0.key < $1.key }) {
                if let toolClass = ToolClass(rawValue: name) {
                    d.toolClasses[tool] = toolClass
                } else {
                    o.note(o.error(key: tool, "expected one of: \(names.joined(separator: ", "))"))
                }
            }
        }
        if var o = try object.optionalObject("spike") {
            try o.only([
                "enabled", "window_seconds", "baseline_alpha", "warmup_windows", "warmup_hours", "threshold",
                "min_ratio", "min_focus",
                "min_count_member", "min_count_member_tool", "min_count_tool", "min_count_tenant",
            ])
            d.spike.enabled = try o.boolean("enabled", default: true)
            d.spike.windowSeconds = try o.integer("window_seconds", default: d.spike.windowSeconds, in: 60...86_400)
            d.spike.baselineAlpha = Float(
                try o.number("baseline_alpha", default: Double(d.spike.baselineAlpha), in: 0.0001...0.5)
            )
            d.spike.warmupWindows = try o.integer("warmup_windows", default: d.spike.warmupWindows, in: 0...10_000)
            d.spike.warmupHours = try o.integer("warmup_hours", default: d.spike.warmupHours, in: 0...8_760)
            d.spike.threshold = try float(&o, "threshold", d.spike.threshold)
            d.spike.minRatio = try float(&o, "min_ratio", d.spike.minRatio)
            d.spike.minFocus = Float(try o.number("min_focus", default: Double(d.spike.minFocus), in: 0...1))
            d.spike.minCountMember = try float(&o, "min_count_member", d.spike.minCountMember)
            d.spike.minCountPair = try float(&o, "min_count_member_tool", d.spike.minCountPair)
            d.spike.minCountTool = try float(&o, "min_count_tool", d.spike.minCountTool)
            d.spike.minCountTenant = try float(&o, "min_count_tenant", d.spike.minCountTenant)
            try o.finish()
        }
        if var o = try object.optionalObject("exfiltration") {
            try o.only([
                "enabled", "threshold", "min_ratio", "min_calls", "run_minutes", "min_bytes", "warmup_calls",
                "max_members_at_once",
            ])
            d.exfiltration.enabled = try o.boolean("enabled", default: true)
            d.exfiltration.threshold = try float(&o, "threshold", d.exfiltration.threshold)
            d.exfiltration.minRatio = try float(&o, "min_ratio", d.exfiltration.minRatio)
            d.exfiltration.minCalls = try o.integer("min_calls", default: d.exfiltration.minCalls, in: 1...10_000)
            d.exfiltration.runMinutes = try o.integer("run_minutes", default: d.exfiltration.runMinutes, in: 1...1_440)
            d.exfiltration.minBytes = try float(&o, "min_bytes", d.exfiltration.minBytes)
            d.exfiltration.warmupCalls = try o.integer(
                "warmup_calls",
                default: d.exfiltration.warmupCalls,
                in: 1...100_000
            )
            d.exfiltration.maxMembersAtOnce = try o.integer(
                "max_members_at_once",
                default: d.exfiltration.maxMembersAtOnce,
                in: 0...100_000
            )
            try o.finish()
        }
        if var o = try object.optionalObject("breadth") {
            try o.only(["enabled", "threshold", "min_resources", "run_chance", "max_new_share", "min_tools"])
            d.breadth.enabled = try o.boolean("enabled", default: true)
            d.breadth.threshold = try float(&o, "threshold", d.breadth.threshold)
            d.breadth.minResources = try float(&o, "min_resources", d.breadth.minResources)
            d.breadth.runChance = try o.number("run_chance", default: d.breadth.runChance, in: 1e-12...0.5)
            d.breadth.maxNewShare = Float(
                try o.number("max_new_share", default: Double(d.breadth.maxNewShare), in: 0...1)
            )
            d.breadth.minTools = try float(&o, "min_tools", d.breadth.minTools)
            try o.finish()
        }
        if var o = try object.optionalObject("read_then_send") {
            try o.only(["enabled", "sensitive_tools", "external_tools", "min_read_bytes", "within_seconds"])
            d.readThenSend.enabled = try o.boolean("enabled", default: true)
            if let tools = try o.optionalStringList("sensitive_tools") { d.readThenSend.sensitiveTools = Set(tools) }
            if let tools = try o.optionalStringList("external_tools") { d.readThenSend.externalTools = Set(tools) }
            d.readThenSend.minReadBytes = Int64(
                try o.integer("min_read_bytes", default: Int(d.readThenSend.minReadBytes), in: 0...(1 << 40))
            )
            d.readThenSend.withinSeconds = try o.integer(
                "within_seconds",
                default: d.readThenSend.withinSeconds,
                in: 1...86_400
            )
            try o.finish()
        }
        if var o = try object.optionalObject("probing") {
            try o.only(["enabled", "min_failures", "run_minutes", "min_failure_ratio", "max_usual_share"])
            d.probing.enabled = try o.boolean("enabled", default: true)
            d.probing.minFailures = try float(&o, "min_failures", d.probing.minFailures)
            d.probing.runMinutes = try o.integer("run_minutes", default: d.probing.runMinutes, in: 1...1_440)
            d.probing.minFailureRatio = Float(
                try o.number("min_failure_ratio", default: Double(d.probing.minFailureRatio), in: 0...1)
            )
            d.probing.maxUsualShare = Float(
                try o.number("max_usual_share", default: Double(d.probing.maxUsualShare), in: 0...1)
            )
            try o.finish()
        }
        if var o = try object.optionalObject("first_seen") {
            try o.only(["enabled", "warmup_events", "rare_members", "rare_share"])
            d.firstSeen.enabled = try o.boolean("enabled", default: true)
            d.firstSeen.warmupEvents = try o.integer(
                "warmup_events",
                default: d.firstSeen.warmupEvents,
                in: 0...10_000_000
            )
            d.firstSeen.rareMembers = try o.integer("rare_members", default: d.firstSeen.rareMembers, in: 1...1_000_000)
            d.firstSeen.rareShare = try o.number("rare_share", default: d.firstSeen.rareShare, in: 0...1)
            try o.finish()
        }
        if var o = try object.optionalObject("off_hours") {
            try o.only([
                "enabled", "warmup_events", "warmup_hours", "neighbour_hours", "session_gap_minutes", "min_calls",
                "max_members_at_once",
            ])
            d.offHours.enabled = try o.boolean("enabled", default: true)
            d.offHours.warmupEvents = try o.integer(
                "warmup_events",
                default: d.offHours.warmupEvents,
                in: 0...10_000_000
            )
            d.offHours.warmupHours = try o.integer("warmup_hours", default: d.offHours.warmupHours, in: 0...8_760)
            d.offHours.neighbourHours = try o.integer(
                "neighbour_hours",
                default: d.offHours.neighbourHours,
                in: 0...11
            )
            d.offHours.sessionGapMinutes = try o.integer(
                "session_gap_minutes",
                default: d.offHours.sessionGapMinutes,
                in: 1...1_440
            )
            d.offHours.minCalls = try o.integer("min_calls", default: d.offHours.minCalls, in: 1...10_000)
            d.offHours.maxMembersAtOnce = try o.integer(
                "max_members_at_once",
                default: d.offHours.maxMembersAtOnce,
                in: 0...100_000
            )
            try o.finish()
        }
        try object.finish()
        return (d, stage)
    }

    /// `state_store` (directory or postgres), `state_directory`, `state_conninfo`.
    private static func stateStore(_ object: inout YAMLObject) throws(PipelineFileError) -> PipelineSpec.StateStore? {
        let directory = try object.optionalString("state_directory")
        let conninfo = try object.optionalString("state_conninfo")
        let kind = try object.optionalString("state_store") ?? (directory == nil ? nil : "directory")
        switch kind {
        case nil:
            if conninfo != nil { object.note(object.error(key: "state_conninfo", "needs state_store: postgres")) }
            return nil
        case "directory":
            if conninfo != nil { object.note(object.error(key: "state_conninfo", "needs state_store: postgres")) }
            guard let directory else {
                object.note(object.error(key: "state_store", "directory needs state_directory"))
                return nil
            }
            return .directory(directory)
        case "postgres":
            if directory != nil {
                object.note(object.error(key: "state_directory", "is for state_store: directory"))
            }
            return .postgres(conninfo: conninfo)
        default:
            object.note(object.error(key: "state_store", "expected one of: directory, postgres"))
            return nil
        }
    }

    private static func float(
        _ o: inout YAMLObject,
        _ key: String,
        _ fallback: Float
    ) throws(PipelineFileError)
        -> Float
    {
        Float(try o.number(key, default: Double(fallback), in: 0...1e15))
    }
}
