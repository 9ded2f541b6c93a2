package com.company;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Data Quality Monitoring: scores the day's analytics results (customer and product
 * insights) on the metrics asked for, compares each with its alert threshold and writes a
 * JSON report. A metric under its threshold is an alert in the report, not a failure: the
 * monitor runs whatever happened to the analytics (RunIf ALL_DONE) and must still report.
 *
 * <p>A stand-in with no dependency beyond the JDK: it reads and writes paths as given (the
 * local EMR maps s3:// to folders). On EMR a real monitor would use Hadoop's FileSystem API
 * for s3:// and publish its alerts to the SNS topic; this one names the topic in the report.
 *
 * <p>Usage: --processed-data DIR --processing-date YYYY-MM-DD --quality-metrics a,b
 * --alert-thresholds FILE --notification-topic ARN --report-path DIR
 */
public final class QualityMonitor {
    /** The analytics outputs of a day: {@code <processed-data>/<name>/<date>/*.csv}. */
    private static final List<String> OUTPUTS = List.of("customer-insights", "product-insights");

    /** One analytics output: its rows (header first), or none when the day's folder is missing. */
    private record Output(String name, List<String[]> rows) {
        boolean present() {
            return !rows.isEmpty();
        }

        List<String[]> records() {
            return rows.isEmpty() ? List.of() : rows.subList(1, rows.size());
        }

        /** The sum of a numeric column; an unreadable value counts as missing (NaN). */
        double sum(String column) {
            int index = List.of(rows.get(0)).indexOf(column);
            return records().stream().mapToDouble(row -> number(row, index)).sum();
        }
    }

    public static void main(String[] argv) throws IOException {
        Map<String, String> args = options(argv);
        String date = args.get("--processing-date");
        List<Output> outputs = new ArrayList<>();
        for (String name : OUTPUTS) {
            outputs.add(read(Paths.get(args.get("--processed-data"), name, date), name));
        }
        Map<String, Double> thresholds = numbers(Files.readString(Paths.get(args.get("--alert-thresholds"))));

        Map<String, Double> metrics = new LinkedHashMap<>();
        List<String> alerts = new ArrayList<>();
        for (String metric : args.get("--quality-metrics").split(",")) {
            double score = score(metric, outputs);
            metrics.put(metric, score);
            Double threshold = thresholds.get(metric);
            if (threshold == null) {
                fail("no alert threshold for metric " + metric + " in " + args.get("--alert-thresholds"));
            }
            if (!(score >= threshold)) {
                alerts.add(String.format(Locale.ROOT, "%s %.3f is under its threshold %.3f", metric, score, threshold));
            }
        }

        String report = report(date, outputs, metrics, alerts, args.get("--notification-topic"));
        Path folder = Paths.get(args.get("--report-path"));
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("quality-report.json"), report);
        System.out.println(report);
        for (String alert : alerts) {
            System.out.println("ALERT (for " + args.get("--notification-topic") + "): " + alert);
        }
    }

    /** Each metric is a share between 0 and 1. */
    private static double score(String metric, List<Output> outputs) {
        List<Output> present = outputs.stream().filter(Output::present).collect(Collectors.toList());
        switch (metric) {
            case "timeliness": // the day's outputs that arrived
                return (double) present.size() / outputs.size();
            case "completeness": // cells that hold a value
                long cells = 0;
                long filled = 0;
                for (Output output : present) {
                    for (String[] row : output.records()) {
                        cells += output.rows().get(0).length;
                        filled += Stream.of(row).filter(cell -> !cell.isEmpty()).count();
                    }
                }
                return cells == 0 ? 0 : (double) filled / cells;
            case "accuracy": // rows whose revenue is a number that is not negative
                long rows = 0;
                long accurate = 0;
                for (Output output : present) {
                    int revenue = List.of(output.rows().get(0)).indexOf("revenue");
                    for (String[] row : output.records()) {
                        rows++;
                        accurate += number(row, revenue) >= 0 ? 1 : 0;
                    }
                }
                return rows == 0 ? 0 : (double) accurate / rows;
            case "consistency": // both views of the same events agree on events and revenue
                if (present.size() < 2) {
                    return 0;
                }
                Output customers = present.get(0);
                Output products = present.get(1);
                boolean events = customers.sum("events") == products.sum("events");
                boolean revenue = Math.abs(customers.sum("revenue") - products.sum("revenue")) < 0.005;
                return events && revenue ? 1 : 0;
            default:
                fail("unknown quality metric " + metric + " (known: completeness, accuracy, consistency, timeliness)");
                return 0;
        }
    }

    /** The CSV files Spark wrote in the folder, header once. Plain splitting is enough: the
     *  analytics write no quoted commas. */
    private static Output read(Path folder, String name) throws IOException {
        List<String[]> rows = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return new Output(name, rows);
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".csv")).sorted().collect(Collectors.toList())) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = rows.isEmpty() ? 0 : 1; i < lines.size(); i++) {
                    rows.add(lines.get(i).split(",", -1));
                }
            }
        }
        return new Output(name, rows);
    }

    private static double number(String[] row, int index) {
        try {
            return index < 0 || index >= row.length ? Double.NaN : Double.parseDouble(row[index]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** A flat JSON object of numbers ({"completeness": 0.99, …}): a regex, since a plain
     *  java classpath has no JSON library. */
    private static Map<String, Double> numbers(String json) {
        Map<String, Double> values = new LinkedHashMap<>();
        Matcher pair = Pattern.compile("\"([^\"]+)\"\\s*:\\s*(-?[0-9.]+)").matcher(json);
        while (pair.find()) {
            values.put(pair.group(1), Double.parseDouble(pair.group(2)));
        }
        return values;
    }

    private static String report(String date, List<Output> outputs, Map<String, Double> metrics,
            List<String> alerts, String topic) {
        String outputsJson = outputs.stream()
                .map(o -> String.format(Locale.ROOT, "\"%s\": {\"rows\": %d, \"events\": %.0f, \"revenue\": %.2f}",
                        o.name(), o.records().size(), o.present() ? o.sum("events") : 0, o.present() ? o.sum("revenue") : 0))
                .collect(Collectors.joining(", "));
        String metricsJson = metrics.entrySet().stream()
                .map(m -> String.format(Locale.ROOT, "\"%s\": %.3f", m.getKey(), m.getValue()))
                .collect(Collectors.joining(", "));
        String alertsJson = alerts.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
        return String.format("{\"processing_date\": \"%s\", \"outputs\": {%s}, \"metrics\": {%s}, "
                + "\"alerts\": [%s], \"notification_topic\": \"%s\"}%n",
                date, outputsJson, metricsJson, alertsJson, topic);
    }

    private static Map<String, String> options(String[] argv) {
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i], argv[i + 1]);
        }
        for (String required : List.of("--processed-data", "--processing-date", "--quality-metrics",
                "--alert-thresholds", "--notification-topic", "--report-path")) {
            if (!args.containsKey(required)) {
                fail("missing " + required);
            }
        }
        return args;
    }

    private static void fail(String message) {
        System.err.println("QualityMonitor: " + message);
        System.exit(2);
    }
}
