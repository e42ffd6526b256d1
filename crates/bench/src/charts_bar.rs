//! The bar chart of the report (latency percentiles, hashing rates): categories along the x
//! axis, one bar per series in each, the value written above each bar.

use serde::{Deserialize, Serialize};

use crate::charts::{
    PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT, Svg, colour, escape, nice_ticks, short_number, y_position,
};

/// A grouped bar chart: `series[s].values[c]` is the bar of series `s` in category `c`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarSeries {
    pub name: String,
    pub values: Vec<f64>,
}

/// Draws the chart; a missing value (a series shorter than the categories) draws no bar.
pub fn render(chart: &BarChart) -> String {
    let mut svg = Svg::new(&chart.title);
    let y_max = chart
        .series
        .iter()
        .flat_map(|series| series.values.iter().copied())
        .fold(0.0, f64::max);
    let ticks = nice_ticks(y_max, 5);
    let top = ticks.last().copied().unwrap_or(1.0);
    svg.axes(&ticks, &chart.y_label, &chart.x_label);
    let categories = chart.categories.len().max(1) as f64;
    let group_width = (PLOT_RIGHT - PLOT_LEFT) / categories;
    let bars = chart.series.len().max(1) as f64;
    let bar_width = group_width * 0.8 / bars;
    for (category_index, category) in chart.categories.iter().enumerate() {
        let group_left = PLOT_LEFT + category_index as f64 * group_width;
        svg.push(&format!(
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="category">{}</text>"#,
            group_left + group_width / 2.0,
            PLOT_BOTTOM + 16.0,
            escape(category)
        ));
        for (series_index, series) in chart.series.iter().enumerate() {
            let Some(value) = series.values.get(category_index) else {
                continue;
            };
            let x = group_left + group_width * 0.1 + series_index as f64 * bar_width;
            let y = y_position(*value, top);
            svg.push(&format!(
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                bar_width * 0.92,
                PLOT_BOTTOM - y,
                colour(series_index),
                escape(&series.name),
                escape(&short_number(*value))
            ));
            svg.push(&format!(
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" class="value">{}</text>"#,
                x + bar_width * 0.46,
                y - 4.0,
                escape(&short_number(*value))
            ));
        }
    }
    let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
    svg.legend(&names);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> BarChart {
        BarChart {
            title: "Latency percentiles".into(),
            x_label: "users/s offered".into(),
            y_label: "ms from entry to acknowledgement".into(),
            categories: vec!["100/s".into(), "1,000/s".into(), "10,000/s".into()],
            series: vec![
                BarSeries {
                    name: "p50".into(),
                    values: vec![2_559.0, 2_600.0, 9_000.0],
                },
                BarSeries {
                    name: "p99 \"tail\"".into(),
                    values: vec![5_035.0, 5_100.0],
                },
            ],
        }
    }

    #[test]
    fn is_well_formed_with_axis_labels_categories_and_values() {
        let svg = render(&chart());
        let document = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let texts: Vec<&str> = document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
            .filter_map(|node| node.text())
            .collect();
        for expected in [
            "Latency percentiles",
            "users/s offered",
            "ms from entry to acknowledgement",
            "1,000/s",
            "p99 \"tail\"",
            "9k",
            "5.0k",
        ] {
            assert!(texts.contains(&expected), "{expected} in {texts:?}");
        }
    }

    #[test]
    fn one_bar_per_value_with_heights_in_proportion() {
        let svg = render(&chart());
        let document = roxmltree::Document::parse(&svg).unwrap();
        let bars: Vec<f64> = document
            .descendants()
            .filter(|node| node.has_tag_name("rect") && node.has_children())
            .map(|node| node.attribute("height").unwrap().parse().unwrap())
            .collect();
        assert_eq!(bars.len(), 5, "the missing p99 value draws no bar");
        let (p50_100, p50_10k) = (bars[0], bars[4]);
        assert!((p50_10k / p50_100 - 9_000.0 / 2_559.0).abs() < 0.01);
    }
}
