import { Controller, Query } from '@nestjs/common';
import { adminRoutes, toolCallMetricsQuerySchema } from '@airlock/contracts';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import { AdminMetricsService } from './admin-metrics.service.js';

/** `/admin/v1/metrics/tool-calls`: calls per minute (or wider bucket), errors and refusals, per tenant or across the caller's tenants. */
@Controller()
export class AdminMetricsController {
  constructor(private readonly metrics: AdminMetricsService) {}

  @AdminRoute(adminRoutes.getToolCallMetrics)
  async toolCalls(@Query() query: unknown, @CurrentAdmin() caller: AdminCaller) {
    return this.metrics.toolCalls(caller, parse(toolCallMetricsQuerySchema, query));
  }
}
