//! The README's post-render example, built and run by the tests (`postrender.rs`).

use helmwasm_plugin_sdk::objects::{containers_mut, pod_spec_mut};
use helmwasm_plugin_sdk::{
    Metadata, ObjectRef, Plugin, PluginError, PostRender, PostRenderRequest, PostRenderResponse,
    export_post_render,
};

struct NoLatest;

impl Plugin for NoLatest {
    fn metadata() -> Metadata {
        Metadata::new("no-latest", "1.0.0", "Refuse :latest images")
    }
}

impl PostRender for NoLatest {
    fn post_render(req: PostRenderRequest) -> Result<PostRenderResponse, PluginError> {
        let mut objects = req.objects;
        let mut bad = Vec::new();
        for o in objects.iter_mut() {
            let r = ObjectRef::of(o);
            if let Some((base, spec)) = pod_spec_mut(o) {
                for (pointer, c) in containers_mut(spec) {
                    if c["image"].as_str().is_some_and(|i| i.ends_with(":latest")) {
                        bad.push(r.clone().at(format!("{base}{pointer}/image")));
                    }
                }
            }
        }
        let mut out = PostRenderResponse::new(objects);
        for r in bad {
            out.error(r, "pin the image to a version, not `:latest`");
        }
        Ok(out)
    }
}

export_post_render!(NoLatest);
