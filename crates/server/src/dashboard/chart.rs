//! A line chart drawn as SVG on the server (no script, no chart library), with a title and
//! a text table fallback for screen readers in the page around it.

use std::fmt::Write;

/// One line of the chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    pub values: &'a [u64],
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 12.0;

/// The SVG markup of a line chart of `series` over `labels` (one label per point). Only
/// numbers and the fixed names above go into the markup; labels are escaped.
pub fn line_chart(labels: &[String], series: &[Series<'_>]) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let points = labels.len().max(2);
    let x = |i: usize| LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / (points - 1) as f64;
    let y = |v: u64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v as f64 / max as f64);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="chart-title"><title id="chart-title">Users per day</title>"#
    );
    for tick in [0, max / 2, max] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y}" y2="{y}" stroke="#e2e2e8"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#5b5b66">{tick}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(tick) + 4.0,
            y = y(tick),
        );
    }
    for (i, label) in labels.iter().enumerate() {
        if i % 2 == 0 || i + 1 == labels.len() {
            // The last label ends at its point so that it stays inside the chart.
            let anchor = if i + 1 == labels.len() {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" font-size="11" text-anchor="{anchor}" fill="#5b5b66">{}</text>"##,
                x(i),
                HEIGHT - 8.0,
                escape(label)
            );
        }
    }
    for line in series {
        let path: Vec<String> = line
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            escape(line.color),
            path.join(" "),
            escape(line.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_series_becomes_one_polyline_scaled_to_the_largest_value() {
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let svg = line_chart(
            &labels,
            &[
                Series {
                    name: "Entered",
                    color: "#000",
                    values: &[0, 5, 10],
                },
                Series {
                    name: "Synced",
                    color: "#111",
                    values: &[0, 0, 10],
                },
            ],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        // The largest value reaches the top of the plot area; zero sits on the bottom.
        assert!(
            svg.contains(&format!("{:.1},{:.1}", WIDTH - RIGHT, TOP)),
            "{svg}"
        );
        assert!(
            svg.contains(&format!("{:.1},{:.1}", LEFT, HEIGHT - BOTTOM)),
            "{svg}"
        );
    }

    #[test]
    fn labels_are_escaped() {
        let labels = vec!["<b>".to_owned(), "x".to_owned()];
        let svg = line_chart(&labels, &[]);
        assert!(svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("<b>"));
    }
}
