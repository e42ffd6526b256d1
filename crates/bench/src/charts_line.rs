//! The line chart of the report (throughput, memory or latency over time): one polyline per
//! series over a shared x axis starting at 0.

use serde::{Deserialize, Serialize};

use crate::charts::{
    PLOT_LEFT, PLOT_RIGHT, Svg, colour, escape, nice_ticks, short_number, y_position,
};

/// A line chart as scenarios record it and the report draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub lines: Vec<Line>,
}

/// One series: `(x, y)` points in x order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Draws the chart. Empty series are listed in the legend but draw nothing.
pub fn render(chart: &LineChart) -> String {
    let mut svg = Svg::new(&chart.title);
    let y_max = chart
        .lines
        .iter()
        .flat_map(|line| line.points.iter().map(|(_, y)| *y))
        .fold(0.0, f64::max);
    let x_max = chart
        .lines
        .iter()
        .flat_map(|line| line.points.iter().map(|(x, _)| *x))
        .fold(0.0, f64::max);
    let y_ticks = nice_ticks(y_max, 5);
    let x_ticks = nice_ticks(x_max, 8);
    let y_top = y_ticks.last().copied().unwrap_or(1.0);
    let x_right = x_ticks.last().copied().unwrap_or(1.0);
    svg.axes(&y_ticks, &chart.y_label, &chart.x_label);
    for tick in &x_ticks {
        let x = x_position(*tick, x_right);
        svg.push(&format!(
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"#,
            crate::charts::PLOT_BOTTOM + 16.0,
            escape(&short_number(*tick))
        ));
    }
    for (index, line) in chart.lines.iter().enumerate() {
        if line.points.is_empty() {
            continue;
        }
        let points: Vec<String> = line
            .points
            .iter()
            .map(|(x, y)| {
                format!(
                    "{:.1},{:.1}",
                    x_position(*x, x_right),
                    y_position(*y, y_top)
                )
            })
            .collect();
        svg.push(&format!(
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            colour(index),
            points.join(" "),
            escape(&line.name)
        ));
    }
    let names: Vec<&str> = chart.lines.iter().map(|line| line.name.as_str()).collect();
    svg.legend(&names);
    svg.finish()
}

fn x_position(value: f64, right: f64) -> f64 {
    let share = if right > 0.0 { value / right } else { 0.0 };
    PLOT_LEFT + share.clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> LineChart {
        LineChart {
            title: "Throughput <latency & 1,000/s>".into(),
            x_label: "seconds since start".into(),
            y_label: "users/s".into(),
            lines: vec![
                Line {
                    name: "offered".into(),
                    points: vec![(0.0, 1_000.0), (1.0, 1_000.0), (2.0, 990.0)],
                },
                Line {
                    name: "acknowledged".into(),
                    points: vec![(0.0, 0.0), (1.0, 1_900.0), (2.0, 0.0)],
                },
            ],
        }
    }

    fn texts(document: &roxmltree::Document) -> Vec<String> {
        document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
            .filter_map(|node| node.text().map(str::to_owned))
            .collect()
    }

    #[test]
    fn is_well_formed_svg_with_escaped_title_axis_labels_and_legend() {
        let svg = render(&chart());
        let document = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let texts = texts(&document);
        for expected in [
            "Throughput <latency & 1,000/s>",
            "seconds since start",
            "users/s",
            "offered",
            "acknowledged",
            "2k",
        ] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected} in {texts:?}"
            );
        }
        assert!(!svg.contains("<latency"), "the title is escaped");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn draws_one_polyline_per_series_inside_the_plot() {
        let svg = render(&chart());
        let document = roxmltree::Document::parse(&svg).unwrap();
        let polylines: Vec<_> = document
            .descendants()
            .filter(|node| node.has_tag_name("polyline"))
            .collect();
        assert_eq!(polylines.len(), 2);
        for polyline in polylines {
            let points = polyline.attribute("points").unwrap();
            assert_eq!(points.split(' ').count(), 3);
            for pair in points.split(' ') {
                let (x, y) = pair.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((PLOT_LEFT..=PLOT_RIGHT).contains(&x));
                assert!((crate::charts::PLOT_TOP..=crate::charts::PLOT_BOTTOM).contains(&y));
            }
        }
    }

    #[test]
    fn an_empty_chart_is_still_valid() {
        let empty = LineChart {
            lines: vec![Line {
                name: "nothing".into(),
                points: vec![],
            }],
            ..chart()
        };
        let svg = render(&empty);
        let document = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(
            document
                .descendants()
                .filter(|node| node.has_tag_name("polyline"))
                .count(),
            0
        );
    }
}
