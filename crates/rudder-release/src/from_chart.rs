//! Building the stored chart of a release from a chart loaded by `rudder-chart`.
//!
//! Helm stores the top-level chart only (subcharts are not serialised): its metadata, lock,
//! templates, files, default values (`null` when there is no values.yaml), schema and the
//! modification times of Chart.yaml (`modtime`) and values.schema.json (`schemamodtime`).

use std::time::SystemTime;

use crate::model::{Chart, Dependency, File, Lock, Maintainer, Metadata};
use crate::time::Time;

impl Chart {
    /// The record form of a loaded chart, as Helm's loader would fill `chart.Chart`.
    ///
    /// Processing that Helm's install action does afterwards (for example setting
    /// `dependencies[].enabled`) is the caller's business.
    pub fn from_loaded(chart: &rudder_chart::Chart) -> Self {
        Chart {
            metadata: Some(metadata(&chart.metadata)),
            lock: chart.lock.as_ref().map(lock),
            templates: Some(chart.templates.iter().map(file).collect()),
            values: chart
                .raw_values
                .as_ref()
                .map(|_| chart.values.as_object().cloned().unwrap_or_default()),
            schema: chart.schema.clone(),
            schemamodtime: chart.modified.schema.map(time).unwrap_or_default(),
            files: Some(chart.files.iter().map(file).collect()),
            modtime: chart.modified.chart_yaml.map(time).unwrap_or_default(),
            extra: Default::default(),
        }
    }
}

fn metadata(m: &rudder_chart::Metadata) -> Metadata {
    Metadata {
        name: m.name.clone(),
        home: m.home.clone(),
        sources: m.sources.clone(),
        version: m.version.clone(),
        description: m.description.clone(),
        keywords: m.keywords.clone(),
        maintainers: m
            .maintainers
            .iter()
            .map(|x| Maintainer {
                name: x.name.clone(),
                email: x.email.clone(),
                url: x.url.clone(),
                extra: Default::default(),
            })
            .collect(),
        icon: m.icon.clone(),
        api_version: m.api_version.as_str().to_owned(),
        condition: m.condition.clone(),
        tags: m.tags.clone(),
        app_version: m.app_version.clone(),
        deprecated: m.deprecated,
        annotations: m.annotations.clone(),
        kube_version: m.kube_version.clone(),
        dependencies: m.dependencies.iter().map(dependency).collect(),
        chart_type: if m.type_explicit {
            match m.chart_type {
                rudder_chart::ChartType::Application => "application".to_owned(),
                rudder_chart::ChartType::Library => "library".to_owned(),
            }
        } else {
            String::new()
        },
        extra: Default::default(),
    }
}

fn dependency(d: &rudder_chart::Dependency) -> Dependency {
    Dependency {
        name: d.name.clone(),
        version: d.version.clone(),
        repository: d.repository.clone(),
        condition: d.condition.clone(),
        tags: d.tags.clone(),
        enabled: d.enabled,
        import_values: d.import_values.clone(),
        alias: d.alias.clone(),
        extra: Default::default(),
    }
}

fn lock(l: &rudder_chart::Lock) -> Lock {
    Lock {
        // The chart loader validated the lock; an unparsable time is stored as zero.
        generated: Time::parse(&l.generated).unwrap_or_default(),
        digest: l.digest.clone(),
        dependencies: Some(l.dependencies.iter().map(dependency).collect()),
        extra: Default::default(),
    }
}

fn file(f: &rudder_chart::File) -> File {
    File {
        name: f.name.clone(),
        data: Some(f.data.clone()),
        modtime: f.modified.map(time).unwrap_or_default(),
        extra: Default::default(),
    }
}

fn time(t: SystemTime) -> Time {
    Time::from_system_time(t)
}
