"""Test configuration: hypothesis profiles, the slow/notebook/browser markers, and Chromium.

The profile is "dev" (60 examples a property) unless HYPOTHESIS_PROFILE says otherwise;
``.ci/run`` sets HYPOTHESIS_PROFILE=ci (400 examples, no deadline). Tests marked
``notebook`` or ``browser`` are also ``slow``, so ``pytest -m "not slow"`` is the fast loop.
"""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# The tests that each take half a second or more on this project's 2-core machine (measured with
# pytest --durations): marked slow here in one list, so the fast loop (pytest -m "not slow") stays
# under a minute. tests/test_layout.py checks that every name listed is a test that exists.
SLOW = {  # file -> its tests that take half a second or more (measured with --durations=100)
    "nn/__init__.py": ("nn",),
    "tests/test_chainrule/test_demo.py": (
        "test_watch_writes_the_samples_page",
        "test_a_failing_last_write_puts_back_the_first_three",
        "test_an_output_locked_during_training_stops_every_write",
        "test_animate_keeps_about_fifty_frames",
        "test_animate_writes_the_training_gif",
        "test_compile_trains_the_spiral_to_the_same_model",
        "test_compile_trains_to_the_same_model",
        "test_console_command",
        "test_happy_path_writes_plots_and_weights",
    ),
    "tests/test_chainrule/test_digits.py": (
        "test_an_output_made_read_only_during_training_stops_every_write",
        "test_one_epoch_writes_the_curves_confusion_and_misclassified",
    ),
    "tests/test_chainrule/test_steps.py": ("test_animate_writes_the_player",),
    "tests/test_docs.py": (
        "test_internal_links_and_anchors_resolve",
        "test_pages_work_in_chromium_from_disk",
    ),
    "tests/test_engine/record/test_forward.py": ("test_jvp_equals_grad_along_any_direction",),
    "tests/test_engine/record/test_steps.py": ("test_explain_paths_add_up_to_the_gradient",),
    "tests/test_engine/test_value.py": ("test_million_node_chain",),
    "tests/test_engine/test_vocab.py": ("test_any_label_is_drawn_traced_and_explained",),
    "tests/test_engine/tools/test_checking.py": ("test_expression_objects_are_accepted",),
    "tests/test_engine/tools/test_compiling.py": (
        "test_compiled_equals_backward_on_random_expressions",
        "test_compiled_sources_leave_linecache_with_their_function",
    ),
    "tests/test_engine/tools/test_expr.py": ("test_prints_a_deep_chain_whole",),
    "tests/test_engine/tools/test_strategies.py": (
        "test_expressions_share_nodes",
        "test_expressions_use_every_op",
        "test_mlps_shrink_to_a_readable_network",
        "test_random_expressions_match_finite_differences",
    ),
    "tests/test_engine/views/drawing/test_animate.py": (
        "test_a_jupyter_kernel_shows_the_player_and_a_still",
        "test_a_tall_gif_follows_the_step_under_its_caption",
        "test_forward_frames_in_the_player",
        "test_frames_show_the_player_in_jupyter",
        "test_hostile_labels_show_as_text_in_a_browser",
        "test_player_fits_a_notebook_width",
        "test_player_in_a_browser",
        "test_seed002_player_follows_each_step_in_one_screen",
        "test_seed002_player_text_is_legible_at_a_notebook_width",
        "test_space_plays_and_pauses_wherever_the_focus_is",
        "test_two_players_in_one_notebook_page",
    ),
    "tests/test_engine/views/drawing/test_drawing.py": (
        "test_100k_nodes_collapse_quickly",
        "test_edges_keep_clear_of_other_ops",
        "test_hostile_labels_are_escaped_in_every_frame",
    ),
    "tests/test_engine/views/drawing/test_frames.py": ("test_slider_scrubs_through_the_frames",),
    "tests/test_engine/views/drawing/test_render.py": ("test_a_layout_that_takes_too_long_is_stopped",),
    "tests/test_engine/views/test_explorable.py": (
        "test_explain_in_the_page_equals_explain_on_random_graphs",
        "test_jupyter_shows_the_page_inline_with_a_png",
        "test_seed000_page_has_the_bias_slider_and_the_curve",
    ),
    "tests/test_engine/views/test_quizzing.py": (
        "test_page_in_a_browser",
        "test_page_reader_agrees_on_random_formulas",
        "test_page_refuses_hostile_text",
    ),
    "tests/test_hostile.py": ("test_the_command_never_prints_a_traceback",),
    "tests/test_jupyterlab.py": (
        "test_notebook_runs_in_jupyterlab_and_fits_its_cells",
        "test_player_and_live_view_fit_the_output_column",
        "test_saved_notebook_opened_untrusted_shows_its_pictures",
    ),
    "tests/test_layout.py": (
        "test_dependencies_point_one_way",
        "test_each_layer_imports_only_layers_below_it",
        "test_every_engine_module_has_a_layer",
        "test_no_import_cycles",
    ),
    "tests/test_nn/test_layers.py": (
        "test_big_matrices_are_cut_in_text",
        "test_micrograd_demo_trajectory",
    ),
    "tests/test_nn/test_live.py": (
        "test_animate_and_the_live_view_draw_any_number_of_classes",
        "test_animate_three_classes",
        "test_animate_writes_one_frame_per_snapshot",
        "test_drawing_changes_no_weight_gradient_or_result",
        "test_every_k_updates_plus_the_first_and_last",
        "test_live_hides_the_progress_bar_in_jupyter",
        "test_live_view_in_a_real_kernel",
        "test_the_figure_is_let_go_after_fit",
        "test_the_picture_ignores_the_notebooks_style",
    ),
    "tests/test_nn/test_module.py": ("test_a_file_of_many_parameters_loads_and_round_trips",),
    "tests/test_nn/test_multiclass.py": ("test_fit_learns_the_spiral_with_cross_entropy",),
    "tests/test_nn/test_train.py": (
        "test_docstring_examples",
        "test_fit_learns_three_spiral_classes",
        "test_training_one_chosen_bias_like_seed_000",
    ),
    "tests/test_nn/test_watch.py": (
        "test_a_wide_network_is_drawn_one_box_per_neuron",
        "test_animate_watch_writes_a_gif_of_the_picture_and_the_graph",
        "test_compiled_training_is_watched_with_the_engines_numbers",
        "test_hostile_labels_are_text_and_an_undrawable_edge_label_drops_the_edges",
        "test_sgd_with_momentum_shows_its_velocity",
        "test_the_graph_is_laid_out_once",
        "test_the_live_view_shows_the_engines_numbers_for_the_sample",
        "test_watching_changes_no_weight_gradient_or_history",
    ),
    "tests/test_notebooks.py": ("test_notebook_runs_and_shows_its_results",),
    "tests/test_readme_gif.py": ("test_committed_gif_shows_each_step_under_its_caption_in_one_view",),
}


def pytest_collection_modifyitems(config, items):
    """Mark the SLOW tests, and every notebook or browser test, slow: the fast loop leaves them out."""
    for item in items:
        path, _, name = item.nodeid.partition("::")
        slow = name.split("[")[0] in SLOW.get(path, ())
        if slow or item.get_closest_marker("notebook") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium():
    """The path of Debian's Chromium; without it the test is skipped, or fails where
    CHAINRULE_REQUIRE_BROWSER=1 (``.ci/run`` sets it, so CI never passes with browser tests skipped)."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        message = "no Chromium: `apt-get install -y chromium` (CI installs it)"
        if os.environ.get("CHAINRULE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
