/* fuzz_graph.h -- what the fuzz targets that build models share. */
#ifndef AE_FUZZ_GRAPH_H
#define AE_FUZZ_GRAPH_H

#include "graph.h"

/* Floats a forward pass touches per sample, roughly: every layer's output,
 * and the patch matrix of each convolution. Targets run a model only when
 * this is small, so that one input stays fast. */
static inline double work_per_sample(const ae_graph *g) {
  double w = (double)g->max_width;
  for (int32_t i = 0; i < g->n_layers; i++) {
    const ae_layer *l = &g->layers[i];
    w += (double)l->out;
    if (l->kind == AE_LAYER_CONV || l->kind == AE_LAYER_DECONV) {
      const ae_shape *grid = l->kind == AE_LAYER_CONV ? &l->out_shape : &l->in_shape;
      const ae_shape *img = l->kind == AE_LAYER_CONV ? &l->in_shape : &l->out_shape;
      w += (double)img->c * (double)l->window.k * (double)l->window.k * (double)grid->h *
           (double)grid->w;
    }
  }
  return w;
}

#endif
